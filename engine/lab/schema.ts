/**
 * The lab file format, defined once. These TypeBox definitions are at the same time
 * - the TypeScript types of a loaded lab (`Lab`, `Device`, `Action`, `Check`, ...),
 * - the JSON Schema written to labs/schema.json (scripts/gen-schema.ts) that editors use,
 * - the input of the loader's validator (engine/lab/validate-schema.ts), which interprets them,
 * - the source of the field reference in docs/authoring.md.
 *
 * Conventions the validator and the reference generator rely on:
 * - every property has a `description`; shared object types have a `title` (a section of the reference);
 * - `x-format` names a value syntax checked by a real parser (engine/lab/formats.ts), with `pattern` as
 *   the editor's approximation of it;
 * - `x-keys` describes the keys of a map (records), for messages and the reference;
 * - a union of mappings is told apart by a `kind` constant or by which of its tag keys is present.
 */
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';

/** One string out of a fixed list; written as `enum` so editors offer the values. */
function Enum<const T extends readonly string[]>(values: T, opts: { description: string; default?: T[number] }): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/** The same schema with a field-specific description. */
function describe<T extends TSchema>(schema: T, description: string, extra: Record<string, unknown> = {}): T {
  return { ...schema, description, ...extra };
}

// ---- value syntaxes ------------------------------------------------------------------------------

const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]*$';
const IFNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_/-]*$';
const IPV4 = '(?:(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const DURATION_PATTERN = '^\\s*(?:(?:\\d+(?:\\.\\d*)?|\\.\\d+)\\s*(?:ns|us|µs|ms|s|m|h))+\\s*$';

const Ipv4 = (description: string) =>
  Type.String({ description, pattern: `^${IPV4}$`, 'x-format': 'ipv4', examples: ['10.0.0.1'] });
const Cidr = (description: string) =>
  Type.String({ description, pattern: `^${IPV4}/(?:3[0-2]|[12]?\\d)$`, 'x-format': 'cidr', examples: ['10.0.0.1/24'] });
const Duration = (description: string, def?: string) =>
  Type.String({ description, pattern: DURATION_PATTERN, 'x-format': 'duration', examples: ['250ms', '2s', '1m30s'], ...(def ? { default: def } : {}) });
const Regex = (description: string) => Type.String({ description, 'x-format': 'regex' });
const Regexes = (description: string) =>
  Type.Union([Regex('A regular expression (JavaScript syntax).'), Type.Array(Regex('A regular expression (JavaScript syntax).'))], { description });
const Name = (description: string) => Type.String({ description, pattern: NAME_PATTERN, 'x-format': 'name' });
const IfaceRef = (description: string) =>
  Type.String({ description, pattern: '^[A-Za-z][A-Za-z0-9_-]*\\.[A-Za-z0-9][A-Za-z0-9_/-]*$', 'x-format': 'iface-ref', examples: ['client.eth0'] });
const DeviceRef = (description: string) => Name(description);
const Id = (description: string) =>
  Type.String({ description, pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', 'x-format': 'id' });

/** Keys of a map: device names, interface names, ... */
function keys(pattern: string, what: string): Record<string, unknown> {
  return { 'x-keys': { pattern, what }, additionalProperties: false };
}

// ---- shared types --------------------------------------------------------------------------------

/** Text shown to students: Korean and English, or one string used for both. */
export const Text = Type.Union(
  [
    Type.String({ description: 'The same text in both languages (names, addresses, commands).' }),
    Type.Object(
      {
        ko: Type.String({ description: 'Korean text.' }),
        en: Type.String({ description: 'English text.' }),
      },
      { additionalProperties: false, title: 'Text', description: 'Text in Korean and English.' },
    ),
  ],
  { description: 'Text in Korean and English (`{ko: ..., en: ...}`), or one string for both.' },
);
const text = (description: string) => describe(Text, description);

/** A number of things: an exact integer or a range. */
export const Count = Type.Union(
  [
    Type.Integer({ minimum: 0, description: 'Exactly this many.' }),
    Type.Object(
      {
        min: Type.Optional(Type.Integer({ minimum: 0, description: 'At least this many.' })),
        max: Type.Optional(Type.Integer({ minimum: 0, description: 'At most this many.' })),
      },
      { additionalProperties: false, title: 'Range', description: 'A range of counts; either bound may be left out.' },
    ),
  ],
  { description: 'A count: an exact integer (`3`) or a range (`{min: 1}`, `{min: 2, max: 5}`).' },
);
const count = (description: string) => describe(Count, description);

// ---- topology ------------------------------------------------------------------------------------

export const Interface = Type.Object(
  {
    address: Type.Optional(Cidr('The IPv4 address with its prefix length, e.g. `10.0.0.1/24`. Left out: the interface has no address.')),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535, default: 1500, description: 'MTU in bytes (default 1500).' })),
    mac: Type.Optional(
      Type.String({
        description: 'MAC address, e.g. `02:00:00:00:00:01`. Left out: derived from the lab seed and the interface name.',
        pattern: '^[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\\1){4}[0-9A-Fa-f]{2}$',
        'x-format': 'mac',
      }),
    ),
    description: Type.Optional(text('What the interface is for (shown in the topology view).')),
  },
  { additionalProperties: false, title: 'Interface', description: 'A network interface of a device.' },
);

const Interfaces = Type.Record(
  Type.String({ pattern: IFNAME_PATTERN }),
  Type.Union([Cidr('Short form: just the address with its prefix length.'), Interface], {
    description: 'The interface: its address as `10.0.0.1/24`, or a mapping with address, mtu, mac.',
  }),
  {
    description: 'The device\'s interfaces by name (`eth0`, `port1`, ...), in order. `eth0: 10.0.0.1/24` is short for `eth0: {address: 10.0.0.1/24}`.',
    minProperties: 1,
    ...keys(IFNAME_PATTERN, 'interface name'),
  },
);

export const Route = Type.Object(
  {
    to: Type.String({
      description: 'The destination: a network with prefix length (`10.1.0.0/16`) or `default`.',
      pattern: `^(?:default|${IPV4}/(?:3[0-2]|[12]?\\d))$`,
      'x-format': 'route-dest',
    }),
    via: Type.Optional(Ipv4('The next hop\'s address; it must be on a subnet of one of the device\'s interfaces.')),
    dev: Type.Optional(Type.String({ description: 'The interface to send on; needed when there is no `via`.', pattern: IFNAME_PATTERN })),
    metric: Type.Optional(Type.Integer({ minimum: 0, description: 'Route metric; lower wins (default 0).' })),
  },
  { additionalProperties: false, title: 'Route', description: 'A static route, as `ip route add TO via VIA dev DEV` would make it.' },
);

const Routes = Type.Array(Route, { description: 'Static routes besides the connected subnets and the gateway.' });
const Gateway = Ipv4('The default gateway; it must be on a subnet of one of the device\'s interfaces.');
const DeviceDescription = text('What the device is (shown in the topology view).');

export const Page = Type.Object(
  {
    body: Type.Optional(Type.String({ description: 'The response body (default: the host name and the path).' })),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, default: 200, description: 'HTTP status code (default 200).' })),
    delay: Type.Optional(Duration('Time before the response starts, to make a slow page (default 0s).')),
    contentType: Type.Optional(Type.String({ description: 'Content-Type header (default `text/plain; charset=utf-8`).' })),
    headers: Type.Optional(Type.Record(Type.String(), Type.String({ description: 'Header value.' }), { description: 'Extra response headers.', ...keys('', 'header name') })),
  },
  { additionalProperties: false, title: 'Page', description: 'One page of an HTTP server.' },
);

export const HttpService = Type.Object(
  {
    port: Type.Optional(
      Type.Union(
        [
          Type.Integer({ minimum: 1, maximum: 65535, description: 'A TCP port.' }),
          Type.Array(Type.Integer({ minimum: 1, maximum: 65535, description: 'A TCP port.' }), { minItems: 1, description: 'Several TCP ports.' }),
        ],
        { default: 80, description: 'The TCP port or ports it listens on (default 80).' },
      ),
    ),
    pages: Type.Optional(
      Type.Record(Type.String({ pattern: '^/' }), Type.Union([Type.String({ description: 'Short form: the body.' }), Page], { description: 'The page: its body, or a mapping with body, status, delay.' }), {
        description: 'Pages by path (`/`, `/slow`). Unknown paths answer 404. Left out: every path answers 200 with the host name.',
        ...keys('^/', 'path (starting with /)'),
      }),
    ),
    description: Type.Optional(text('What the server is for.')),
  },
  { additionalProperties: false, title: 'HttpService', description: 'An HTTP/1.1 server.' },
);

export const DnsRecord = Type.Object(
  {
    a: Type.Optional(Type.Union([Ipv4('An IPv4 address.'), Type.Array(Ipv4('An IPv4 address.'))], { description: 'A records: one address or a list.' })),
    cname: Type.Optional(Type.String({ description: 'A CNAME record: the canonical name.' })),
    ttl: Type.Optional(Type.Integer({ minimum: 0, default: 60, description: 'TTL in seconds (default 60).' })),
  },
  { additionalProperties: false, title: 'DnsRecord', description: 'The records of one name.' },
);

export const DnsService = Type.Object(
  {
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: 53, description: 'The UDP port it listens on (default 53).' })),
    zones: Type.Record(
      Type.String(),
      Type.Record(
        Type.String(),
        Type.Union([Ipv4('Short form: one A record.'), Type.Array(Ipv4('An A record.'), { description: 'Short form: several A records.' }), DnsRecord], {
          description: 'The records of the name: an address, a list of addresses, or a mapping with a, cname, ttl.',
        }),
        { description: 'Names in the zone (`www`, `@` for the zone itself) and their records.', ...keys('', 'name') },
      ),
      { description: 'Zones it is authoritative for, by zone name (`lab.example`).', ...keys('', 'zone name') },
    ),
    description: Type.Optional(text('What the server is for.')),
  },
  { additionalProperties: false, title: 'DnsService', description: 'An authoritative DNS server.' },
);

export const Services = Type.Object(
  {
    http: Type.Optional(describe(HttpService, 'An HTTP server (`curl` and traffic actions talk to it). Refer to it as `DEVICE.http`.')),
    dns: Type.Optional(describe(DnsService, 'A DNS server. Refer to it as `DEVICE.dns`.')),
  },
  { additionalProperties: false, title: 'Services', description: 'Servers running on a host.' },
);

export const Resolver = Type.Object(
  {
    nameservers: Type.Array(Ipv4('A name server address.'), { minItems: 1, description: 'Name servers, in order (`/etc/resolv.conf` nameserver lines).' }),
    search: Type.Optional(Type.Array(Type.String({ description: 'A domain.' }), { description: 'Search domains.' })),
  },
  { additionalProperties: false, title: 'Resolver', description: 'DNS resolver settings (`/etc/resolv.conf`).' },
);

/** The fields every device kind has after `kind`. */
const DEVICE_FIELDS = {
  description: Type.Optional(DeviceDescription),
  interfaces: Interfaces,
  gateway: Type.Optional(Gateway),
  routes: Type.Optional(Routes),
};

export const Host = Type.Object(
  {
    kind: Type.Literal('host', { description: 'A host: a small Linux with a shell (ping, curl, dig, ip, ss, tcpdump).' }),
    ...DEVICE_FIELDS,
    resolver: Type.Optional(Resolver),
    hosts: Type.Optional(
      Type.Record(Type.String(), Ipv4('The address of the name.'), { description: 'Static names (`/etc/hosts`). Device names are known without it.', ...keys('', 'host name') }),
    ),
    services: Type.Optional(Services),
    real: Type.Optional(
      Type.Boolean({ default: false, description: 'A real host in a network namespace, attached through a TAP device (Linux with CAP_NET_ADMIN). Default false.' }),
    ),
  },
  { additionalProperties: false, title: 'Host', description: 'A host (`kind: host`).' },
);

export const Router = Type.Object(
  {
    kind: Type.Literal('router', { description: 'An IPv4 router: forwards between its interfaces by its route table.' }),
    ...DEVICE_FIELDS,
  },
  { additionalProperties: false, title: 'Router', description: 'A router (`kind: router`).' },
);

export const L4Switch = Type.Object(
  {
    kind: Type.Literal('l4switch', { description: 'An L4 switch (Alteon): server load balancing configured through its CLI.' }),
    ...DEVICE_FIELDS,
  },
  { additionalProperties: false, title: 'L4Switch', description: 'An L4 switch (`kind: l4switch`). Its SLB configuration goes in `config` as CLI text.' },
);

/** Device kinds. New kinds (aws-*, appliance) are added as one more branch here. */
export const Device = Type.Union([Host, Router, L4Switch], { description: 'A device; `kind` says which.' });
export const DEVICE_KINDS = ['host', 'router', 'l4switch'] as const;

export const Segment = Type.Object(
  {
    members: Type.Array(IfaceRef('An interface, as `DEVICE.INTERFACE`.'), { minItems: 1, description: 'The interfaces on this segment.' }),
    description: Type.Optional(text('What the segment is.')),
  },
  { additionalProperties: false, title: 'Segment', description: 'An L2 broadcast domain (a learning switch) joining interfaces.' },
);

export const Link = Type.Object(
  {
    a: IfaceRef('One end, as `DEVICE.INTERFACE`.'),
    b: IfaceRef('The other end, as `DEVICE.INTERFACE`.'),
    delay: Type.Optional(Duration('One-way propagation delay (default 0s).', '0s')),
    bandwidth: Type.Optional(
      Type.String({
        description: 'Rate, as tc writes it: `100Mbit`, `1Gbit`, `512kbit` (default: unlimited).',
        pattern: '^\\s*\\d+(?:\\.\\d+)?\\s*(?:[kKmMgG]?bit)\\s*$',
        'x-format': 'bandwidth',
        examples: ['100Mbit'],
      }),
    ),
    loss: Type.Optional(
      Type.Union(
        [
          Type.Number({ minimum: 0, maximum: 1, description: 'A probability from 0 to 1.' }),
          Type.String({ description: 'A percentage, e.g. `1%`.', pattern: '^\\s*\\d+(?:\\.\\d+)?\\s*%\\s*$', 'x-format': 'percent' }),
        ],
        { description: 'Random frame loss, from the lab seed: `1%` or `0.01` (default 0).' },
      ),
    ),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535, description: 'MTU of the link in bytes (default: the interfaces\' MTU).' })),
    queue: Type.Optional(Type.Integer({ minimum: 1, description: 'Transmit queue length in frames; beyond it frames are dropped (default 1000).' })),
    description: Type.Optional(text('What the link is.')),
  },
  { additionalProperties: false, title: 'Link', description: 'A point-to-point link between two interfaces.' },
);

export const CapturePoint = Type.Object(
  {
    at: Type.String({
      description: 'Where to capture: an interface (`DEVICE.INTERFACE`), a segment name or a link name.',
      pattern: '^[A-Za-z][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9][A-Za-z0-9_/-]*)?$',
    }),
    description: Type.Optional(text('What the capture shows (pcapng if_description).')),
  },
  { additionalProperties: false, title: 'CapturePoint', description: 'A capture point: one pcapng interface.' },
);

export const Topology = Type.Object(
  {
    devices: Type.Record(Type.String({ pattern: NAME_PATTERN }), Device, {
      description: 'The devices by name. Names start with a letter; letters, digits, `-` and `_` follow.',
      minProperties: 1,
      ...keys(NAME_PATTERN, 'device name'),
    }),
    segments: Type.Optional(
      Type.Record(
        Type.String({ pattern: NAME_PATTERN }),
        Type.Union([Type.Array(IfaceRef('An interface, as `DEVICE.INTERFACE`.'), { minItems: 1, description: 'Short form: the members.' }), Segment], {
          description: 'The segment: a list of `DEVICE.INTERFACE`, or a mapping with members and description.',
        }),
        { description: 'L2 segments (broadcast domains) by name.', ...keys(NAME_PATTERN, 'segment name') },
      ),
    ),
    links: Type.Optional(Type.Record(Type.String({ pattern: NAME_PATTERN }), Link, { description: 'Point-to-point links by name.', ...keys(NAME_PATTERN, 'link name') })),
    captures: Type.Optional(
      Type.Record(
        Type.String({ pattern: NAME_PATTERN }),
        Type.Union([Type.String({ description: 'Short form: where (`DEVICE.INTERFACE`, a segment or a link).', pattern: '^[A-Za-z][A-Za-z0-9_-]*(?:\\.[A-Za-z0-9][A-Za-z0-9_/-]*)?$' }), CapturePoint], {
          description: 'The capture point: where, or a mapping with at and description.',
        }),
        { description: 'Capture points by name; each is one interface of the lab\'s pcapng.', ...keys(NAME_PATTERN, 'capture point name') },
      ),
    ),
  },
  { additionalProperties: false, title: 'Topology', description: 'Devices and how they are wired.' },
);

// ---- actions -------------------------------------------------------------------------------------

const ActionId = Id('Names this action so a later check can look at its result.');

export const ConsoleAction = Type.Object(
  {
    console: Type.Object(
      {
        id: Type.Optional(ActionId),
        device: DeviceRef('The device whose console runs the command.'),
        command: Type.Union([Type.String({ description: 'One command.' }), Type.Array(Type.String({ description: 'A command.' }), { minItems: 1, description: 'Several commands, in order.' })], {
          description: 'The command line, or a list of them, typed into the device\'s console.',
        }),
      },
      { additionalProperties: false, title: 'ConsoleActionBody', description: 'Console commands typed on a device.' },
    ),
  },
  { additionalProperties: false, title: 'ConsoleAction', description: 'Type commands into a device\'s console. Short form: the string `DEVICE> COMMAND`.' },
);

export const TrafficAction = Type.Object(
  {
    traffic: Type.Object(
      {
        id: Type.Optional(ActionId),
        from: DeviceRef('The host that sends (a host device).'),
        url: Type.Optional(Type.String({ description: 'HTTP requests to this URL (`http://10.0.1.10/`); the host name may be a device name or a DNS name.', 'x-format': 'url' })),
        to: Type.Optional(Ipv4('Connections to this address (with `port`) instead of a URL.')),
        port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'The destination port with `to`.' })),
        protocol: Type.Optional(Enum(['http', 'tcp', 'udp'] as const, { description: 'With `to`: what to send (default tcp: connect, then close). `url` always means http.' })),
        count: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'How many requests or connections (default 1).' })),
        concurrency: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: 'How many at a time (default 1: one after another).' })),
        keepAlive: Type.Optional(Type.Boolean({ default: false, description: 'Reuse one connection for several HTTP requests (default false: a new connection each).' })),
        interval: Type.Optional(Duration('Pause between starting one request and the next (default 0s).')),
        timeout: Type.Optional(Duration('A request that takes longer fails (default 5s).', '5s')),
        background: Type.Optional(
          Type.Boolean({
            default: false,
            description: 'Start the requests and go on to the next action without waiting for them (connections held open, e.g. `/delay?ms=20000`); a check sees them as they are then (default false: wait until all are done).',
          }),
        ),
      },
      { additionalProperties: false, title: 'TrafficActionBody', description: 'Requests or connections from a host.' },
    ),
  },
  { additionalProperties: false, title: 'TrafficAction', description: 'Send HTTP requests or open connections from a host, and record how each went.' },
);

export const FaultAction = Type.Object(
  {
    fault: Type.Object(
      {
        link: Type.Optional(Name('A link (op down|up).')),
        segment: Type.Optional(Name('A segment (op down|up).')),
        device: Type.Optional(DeviceRef('A device: power it off or on (op stop|start).')),
        service: Type.Optional(
          Type.String({ description: 'A service, as `DEVICE.http` or `DEVICE.dns` (op stop|start).', pattern: '^[A-Za-z][A-Za-z0-9_-]*\\.(?:http|dns)$' }),
        ),
        op: Enum(['down', 'up', 'stop', 'start'] as const, { description: '`down`/`up` for links and segments; `stop`/`start` for devices and services.' }),
      },
      { additionalProperties: false, title: 'FaultActionBody', description: 'A fault on exactly one of link, segment, device, service.' },
    ),
  },
  { additionalProperties: false, title: 'FaultAction', description: 'Break or repair something: a link or segment goes down/up, a device or service stops/starts.' },
);

export const WaitAction = Type.Object(
  { wait: Duration('How much virtual time passes.') },
  { additionalProperties: false, title: 'WaitAction', description: 'Let virtual time pass (timers, retransmissions, health checks run). Short form: `sleep DURATION`.' },
);

const ACTION_STRING_PATTERN = '^\\s*(?:[A-Za-z][A-Za-z0-9_-]*>\\s*\\S.*|sleep\\s+\\S.*)$';
export const Action = Type.Union(
  [
    Type.String({ description: 'Short form: `DEVICE> COMMAND` (a console command) or `sleep DURATION` (a wait).', pattern: ACTION_STRING_PATTERN, 'x-format': 'action' }),
    ConsoleAction,
    TrafficAction,
    FaultAction,
    WaitAction,
  ],
  { description: 'An action: `DEVICE> COMMAND`, `sleep DURATION`, or one of console, traffic, fault, wait.' },
);
const Actions = (description: string) => Type.Array(Action, { description });

// ---- checks --------------------------------------------------------------------------------------

const CheckCommon = {
  id: Id('Names the check in results (unique within its step).'),
  weight: Type.Optional(Type.Number({ minimum: 0, default: 1, description: 'Weight in the score (default 1).' })),
  description: Type.Optional(text('What the check verifies, shown to the student with its result.')),
};

const Present = Type.Optional(Type.Boolean({ default: true, description: 'Whether the entry must exist (default true); false checks it is absent.' }));

export const ArpQuery = Type.Object(
  { ip: Ipv4('The neighbour\'s address.'), mac: Type.Optional(Type.String({ description: 'The MAC the entry must have.', 'x-format': 'mac' })), present: Present },
  { additionalProperties: false, title: 'ArpQuery', description: 'An ARP cache entry (`ip neigh`).' },
);
export const RouteQuery = Type.Object(
  {
    to: Type.String({ description: 'Destination network (`10.1.0.0/16`) or `default`.', 'x-format': 'route-dest' }),
    via: Type.Optional(Ipv4('The next hop it must have.')),
    dev: Type.Optional(Type.String({ description: 'The interface it must use.' })),
    present: Present,
  },
  { additionalProperties: false, title: 'RouteQuery', description: 'A route table entry (`ip route`).' },
);
export const CounterQuery = Type.Object(
  {
    name: Type.String({ description: 'The counter, as the device names it (e.g. `ip.forwarded`, `slb.virt.1.sessions`).' }),
    value: count('The value it must have.'),
  },
  { additionalProperties: false, title: 'CounterQuery', description: 'A device counter.' },
);
export const SessionQuery = Type.Object(
  {
    where: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Integer()], { description: 'The value the column must have.' }), {
        description: 'Columns the rows must match, e.g. `{client: 10.0.0.1, real: 2}`. Left out: every row.',
        ...keys('', 'column'),
      }),
    ),
    count: Type.Optional(count('How many rows must match (default `{min: 1}`).')),
  },
  { additionalProperties: false, title: 'SessionQuery', description: 'Rows of the device\'s session/connection table.' },
);
export const ServiceQuery = Type.Object(
  {
    name: Enum(['http', 'dns'] as const, { description: 'The service.' }),
    status: Enum(['running', 'stopped'] as const, { description: 'The status it must have.' }),
  },
  { additionalProperties: false, title: 'ServiceQuery', description: 'A service\'s status.' },
);

export const StateQuery = Type.Union(
  [
    Type.Object({ device: DeviceRef('The device whose state is read.'), arp: describe(ArpQuery, 'An ARP cache entry.') }, { additionalProperties: false, title: 'StateArp', description: 'An ARP cache entry of a device.' }),
    Type.Object({ device: DeviceRef('The device whose state is read.'), route: describe(RouteQuery, 'A route table entry.') }, { additionalProperties: false, title: 'StateRoute', description: 'A route of a device.' }),
    Type.Object({ device: DeviceRef('The device whose state is read.'), counter: describe(CounterQuery, 'A counter.') }, { additionalProperties: false, title: 'StateCounter', description: 'A counter of a device.' }),
    Type.Object({ device: DeviceRef('The device whose state is read.'), session: describe(SessionQuery, 'Session table rows.') }, { additionalProperties: false, title: 'StateSession', description: 'Session table rows of a device.' }),
    Type.Object({ device: DeviceRef('The device whose state is read.'), service: describe(ServiceQuery, 'A service status.') }, { additionalProperties: false, title: 'StateService', description: 'A service of a device.' }),
  ],
  { description: 'A query on a device table: `device` and one of arp, route, counter, session, service.' },
);

const PacketField = Enum(['src', 'dst', 'srcPort', 'dstPort', 'srcEndpoint', 'dstEndpoint'] as const, {
  description: 'A packet field: address (`src`, `dst`), port (`srcPort`, `dstPort`) or both as `ADDR:PORT` (`srcEndpoint`, `dstEndpoint`).',
});

export const CaptureDistribution = Type.Object(
  {
    by: PacketField,
    counts: Type.Optional(Type.Record(Type.String(), Count, { description: 'How many selected packets must carry each value, e.g. `{92.75.100.82: 5, 92.75.100.41: 5}`.', ...keys('', 'value') })),
    order: Type.Optional(Type.Array(Type.String({ description: 'A value.' }), { minItems: 1, description: 'The values the first selected packets must carry, in this order (e.g. round robin).' })),
  },
  { additionalProperties: false, title: 'CaptureDistribution', description: 'Which values a field takes over the selected packets (which server answered, in what order).' },
);

export const CaptureCheck = Type.Object(
  {
    at: Name('The capture point (a name under topology.captures).'),
    filter: Type.Optional(Type.String({ description: 'Selects packets, in tcpdump (pcap-filter) syntax; device names work as host names. Default: every packet.', 'x-format': 'pcap-filter' })),
    match: Type.Optional(Regex('Further selects packets whose tcpdump-style summary line matches this regular expression (e.g. `Flags \\[S\\]`).')),
    count: Type.Optional(count('How many packets must be selected (default `{min: 1}`).')),
    expect: Type.Optional(
      Type.Object(
        {
          src: Type.Optional(Ipv4('Source address.')),
          dst: Type.Optional(Ipv4('Destination address.')),
          srcPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Source port.' })),
          dstPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535, description: 'Destination port.' })),
        },
        { additionalProperties: false, title: 'PacketExpect', description: 'Values every selected packet must have.' },
      ),
    ),
    sequence: Type.Optional(
      Type.Array(Regex('A regular expression on a summary line.'), {
        minItems: 1,
        description: 'Selected packets whose summary lines match these regular expressions must appear in this order (others may come between).',
      }),
    ),
    distribution: Type.Optional(CaptureDistribution),
  },
  { additionalProperties: false, title: 'CaptureQuery', description: 'Looks at the packets seen at a capture point during the step.' },
);

export const ConsoleCheck = Type.Object(
  {
    device: Type.Optional(DeviceRef('The device to run `command` on.')),
    command: Type.Optional(Type.String({ description: 'A command to run now; its output is checked. Needs `device`.' })),
    action: Type.Optional(Type.String({ description: 'Instead of a command: the id of an earlier console action whose output is checked.' })),
    match: Type.Optional(Regexes('The output must match (each of) these regular expressions.')),
    notMatch: Type.Optional(Regexes('The output must match none of these regular expressions.')),
  },
  { additionalProperties: false, title: 'ConsoleQuery', description: 'Looks at console output: a command run for the check, or an earlier action\'s output.' },
);

export const TrafficCheck = Type.Object(
  {
    action: Type.String({ description: 'The id of a traffic action.' }),
    succeeded: Type.Optional(
      Type.Union([Type.Literal('all', { description: 'Every request succeeded.' }), Count], { default: 'all', description: 'How many requests must succeed: `all` (default) or a count.' }),
    ),
    failed: Type.Optional(count('How many requests must fail.')),
    status: Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'The HTTP status every successful response must have.' })),
    distribution: Type.Optional(
      Type.Object(
        {
          by: Type.Optional(
            Type.String({
              description: 'What identifies the server: `body` (the response body, trimmed; default), `peer` (the address answered from) or `header:NAME`.',
              pattern: '^(?:body|peer|header:.+)$',
              default: 'body',
            }),
          ),
          counts: Type.Optional(Type.Record(Type.String(), Count, { description: 'How many responses must come from each server.', ...keys('', 'server') })),
          order: Type.Optional(Type.Array(Type.String({ description: 'A server.' }), { minItems: 1, description: 'The servers of the first responses, in order.' })),
        },
        { additionalProperties: false, title: 'TrafficDistribution', description: 'Which server answered each request.' },
      ),
    ),
  },
  { additionalProperties: false, title: 'TrafficQuery', description: 'Looks at how a traffic action\'s requests went.' },
);

export const Check = Type.Union(
  [
    Type.Object({ ...CheckCommon, state: StateQuery }, { additionalProperties: false, title: 'StateCheck', description: 'A check on device state.' }),
    Type.Object({ ...CheckCommon, capture: CaptureCheck }, { additionalProperties: false, title: 'CaptureCheck', description: 'A check on captured packets.' }),
    Type.Object({ ...CheckCommon, console: ConsoleCheck }, { additionalProperties: false, title: 'ConsoleCheck', description: 'A check on console output.' }),
    Type.Object({ ...CheckCommon, traffic: TrafficCheck }, { additionalProperties: false, title: 'TrafficCheck', description: 'A check on a traffic action\'s results.' }),
  ],
  { description: 'A check: `id`, optional `weight` and `description`, and one of state, capture, console, traffic.' },
);

// ---- steps and the lab ---------------------------------------------------------------------------

export const Step = Type.Object(
  {
    id: Id('Names the step (unique in the lab).'),
    title: text('The step\'s title.'),
    instructions: text('What the student does, in Markdown.'),
    setup: Type.Optional(Actions('Actions the lab performs when the step starts, in order.')),
    solution: Type.Optional(Actions('What the student is expected to do; `pktlab run` performs it, in order.')),
    checks: Type.Optional(Type.Array(Check, { description: 'Checks evaluated after the step\'s actions.' })),
    hints: Type.Optional(Type.Array(Text, { description: 'Hints, shown one at a time on request.' })),
  },
  { additionalProperties: false, title: 'Step', description: 'One step of the lab.' },
);

export const Lab = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'The JSON Schema of the format (for editors); ignored by pktlab.' })),
    format: Type.Optional(Type.Literal(1, { description: 'Version of the lab format (1).' })),
    id: Type.String({ description: 'Lab identifier: lower-case letters, digits, `.` and `-` (e.g. `08-01-alteon-slb`).', pattern: '^[a-z0-9][a-z0-9.-]*$' }),
    chapter: Type.Optional(
      Type.Union([Type.String({ description: 'e.g. `08-01`.' }), Type.Integer({ description: 'e.g. `8`.' })], { description: 'The book chapter or section the lab reproduces.' }),
    ),
    title: text('The lab\'s title.'),
    summary: Type.Optional(text('One paragraph on what the student learns (Markdown).')),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295, default: 1, description: 'Seed of every random choice (ports, ISNs, MACs, loss). Default 1.' })),
    epoch: Type.Optional(
      Type.String({
        description: 'Wall-clock time at virtual time 0, as ISO 8601 UTC (pcapng timestamps). Default 2024-01-01T00:00:00Z.',
        format: 'date-time',
        'x-format': 'date-time',
        default: '2024-01-01T00:00:00Z',
      }),
    ),
    topology: Topology,
    config: Type.Optional(
      Type.Record(
        Type.String({ pattern: NAME_PATTERN }),
        Type.Union(
          [
            Type.String({ description: 'Configuration text in the device\'s own syntax (e.g. Alteon CLI), pasted into its console verbatim, line by line.' }),
            Type.Array(Type.String({ description: 'A console command.' }), { description: 'Console commands, run in order.' }),
          ],
          { description: 'The device\'s initial configuration: a text block pasted verbatim, or a list of commands.' },
        ),
        { description: 'Initial configuration by device name, applied in order before the first step.', ...keys(NAME_PATTERN, 'device name') },
      ),
    ),
    steps: Type.Array(Step, { minItems: 1, description: 'The steps, in order.' }),
  },
  { additionalProperties: false, title: 'Lab', description: 'A pktlab lab file.' },
);

export type Lab = Static<typeof Lab>;
export type Text = Static<typeof Text>;
export type Count = Static<typeof Count>;
export type Device = Static<typeof Device>;
export type Interface = Static<typeof Interface>;
export type Step = Static<typeof Step>;
export type Action = Static<typeof Action>;
export type Check = Static<typeof Check>;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** The JSON Schema document for editors (draft-07: what the YAML and JSON language servers support best). */
export function labJsonSchema(): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(Lab)) as Record<string, unknown>;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://pktlab.dev/schema/lab-1.json',
    ...plain,
  };
}
