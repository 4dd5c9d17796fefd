import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sec } from '../../../engine/sim/time.ts';
import { routedLab, transcript, twoHosts } from './topo.ts';

/** Lines of a transcript, MAC addresses replaced (they come from the seeded stream). */
function lines(s: string): string[] {
  return s.replace(/([0-9a-f]{2}:){5}[0-9a-f]{2}/g, 'MAC').split('\n');
}

describe('host console', function () {
  describe('ping, ARP and ip neigh (two hosts on a segment)', function () {
    it('prints iputils output and fills the neighbour table', function () {
      const { client } = twoHosts();
      assert.deepEqual(lines(transcript(client, ['ip neigh', 'ping -c 2 10.0.0.2', 'ip neigh', 'ip n show dev eth0'])), [
        'root@client1:~# ip neigh',
        'root@client1:~# ping -c 2 10.0.0.2',
        'PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.',
        '64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.008 ms',
        '64 bytes from 10.0.0.2: icmp_seq=2 ttl=64 time=0.004 ms',
        '',
        '--- 10.0.0.2 ping statistics ---',
        '2 packets transmitted, 2 received, 0% packet loss, time 1000ms',
        'rtt min/avg/max/mdev = 0.004/0.006/0.008/0.002 ms',
        'root@client1:~# ip neigh',
        '10.0.0.2 dev eth0 lladdr MAC REACHABLE ',
        'root@client1:~# ip n show dev eth0',
        '10.0.0.2 lladdr MAC REACHABLE ',
        '',
      ]);
    });

    it('reports Destination Host Unreachable when ARP fails, exit 1', function () {
      const { client } = twoHosts();
      const ex = client.run('ping -c 2 10.0.0.9');
      assert.equal(ex.exitCode, 1);
      assert.deepEqual(lines(ex.output), [
        'PING 10.0.0.9 (10.0.0.9) 56(84) bytes of data.',
        'From 10.0.0.1 icmp_seq=1 Destination Host Unreachable',
        'From 10.0.0.1 icmp_seq=2 Destination Host Unreachable',
        '',
        '--- 10.0.0.9 ping statistics ---',
        '2 packets transmitted, 0 received, +2 errors, 100% packet loss, time 3000ms',
        'pipe 2',
        '',
      ]);
      assert.match(lines(client.run('ip neigh').output)[0]!, /^10\.0\.0\.9 dev eth0 FAILED $/);
    });

    it('runs until Ctrl-C without -c, then prints the statistics', function () {
      const { client, net } = twoHosts();
      const ex = client.exec('ping 10.0.0.2');
      net.runFor(sec(2.5));
      assert.ok(!ex.done);
      ex.interrupt();
      assert.ok(ex.done);
      assert.equal(ex.exitCode, 0);
      assert.match(ex.output, /icmp_seq=3 .*\n\^C\n--- 10\.0\.0\.2 ping statistics ---\n3 packets transmitted, 3 received, 0% packet loss, time 2000ms\n/);
    });

    it('answers bad options and names like iputils', function () {
      const { client } = twoHosts();
      let ex = client.run('ping -z 10.0.0.2');
      assert.equal(ex.exitCode, 2);
      assert.match(ex.stderr, /^ping: invalid option -- 'z'\n\nUsage\n {2}ping \[options\] <destination>\n/);
      ex = client.run('ping -c x 10.0.0.2');
      assert.equal(ex.stderr, "ping: invalid argument: 'x'\n");
      ex = client.run('ping foo');
      assert.equal(ex.stderr, 'ping: foo: Temporary failure in name resolution\n');
      ex = client.run('ping');
      assert.equal(ex.stderr, 'ping: usage error: Destination address required\n');
    });
  });

  describe('behind routers', function () {
    it('traceroute across two routers', function () {
      const { client } = routedLab();
      const ex = client.run('traceroute 10.0.2.2');
      assert.equal(ex.exitCode, 0);
      assert.deepEqual(lines(ex.output), [
        'traceroute to 10.0.2.2 (10.0.2.2), 30 hops max, 60 byte packets',
        ' 1  10.0.0.254 (10.0.0.254)  0.008 ms  0.008 ms  0.008 ms',
        ' 2  10.0.1.254 (10.0.1.254)  4.004 ms  4.004 ms  4.004 ms',
        ' 3  10.0.2.2 (10.0.2.2)  2.012 ms  2.012 ms  2.012 ms',
        '',
      ]);
    });

    it('traceroute prints * * * for silent hops and !N for unreachable nets', function () {
      const { client, r2 } = routedLab();
      r2.iface('eth0').up = false;
      const ex = client.run('traceroute -n -m 3 -w 1 10.0.2.2');
      assert.deepEqual(lines(ex.output), ['traceroute to 10.0.2.2 (10.0.2.2), 3 hops max, 60 byte packets', ' 1  10.0.0.254  0.008 ms  0.008 ms  0.008 ms', ' 2  * * *', ' 3  * * *', '']);
      const ex2 = client.run('traceroute -n 10.9.9.9');
      assert.match(ex2.output, /^ 1 {2}10\.0\.0\.254 {2}[\d.]+ ms !N/m);
    });

    it('ip addr, route and link show like iproute2; add/del change the node', function () {
      const { client } = routedLab();
      assert.deepEqual(lines(client.run('ip addr').output), [
        '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
        '    link/loopback MAC brd MAC',
        '    inet 127.0.0.1/8 scope host lo',
        '       valid_lft forever preferred_lft forever',
        '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000',
        '    link/ether MAC brd MAC',
        '    inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0',
        '       valid_lft forever preferred_lft forever',
        '',
      ]);
      assert.equal(client.run('ip route').output, 'default via 10.0.0.254 dev eth0 \n10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.1 \n');
      assert.equal(client.run('ip route get 10.0.2.2').output, '10.0.2.2 via 10.0.0.254 dev eth0 src 10.0.0.1 uid 0 \n    cache \n');
      assert.equal(client.run('ip addr add 10.0.0.5/24 dev eth0').exitCode, 0);
      assert.match(client.run('ip a s eth0').output, /inet 10\.0\.0\.5\/24 brd 10\.0\.0\.255 scope global secondary eth0/);
      assert.equal(client.run('ip addr add 10.0.0.5/24 dev eth0').stderr, 'RTNETLINK answers: File exists\n');
      assert.equal(client.run('ip addr del 10.0.0.5/24 dev eth0').exitCode, 0);
      assert.equal(client.run('ip route add 10.9.0.0/16 via 10.0.0.254').exitCode, 0);
      assert.match(client.run('ip r').output, /^10\.9\.0\.0\/16 via 10\.0\.0\.254 dev eth0 $/m);
      assert.equal(client.run('ip route add 10.8.0.0/16 via 7.7.7.7').stderr, 'Error: Nexthop has invalid gateway.\n');
      assert.equal(client.run('ip route del 10.99.0.0/16').stderr, 'RTNETLINK answers: No such process\n');
      assert.equal(client.run('ip route del 10.9.0.0/16').exitCode, 0);
      assert.equal(client.run('ip link set dev eth0 down').exitCode, 0);
      assert.match(client.run('ip link').output, /2: eth0: <BROADCAST,MULTICAST> mtu 1500 qdisc fq_codel state DOWN mode DEFAULT group default qlen 1000/);
      assert.match(client.run('ping -c 1 10.0.2.2').stderr + client.run('ping -c 1 10.0.2.2').stdout, /Network is unreachable/);
      client.run('ip link set eth0 up');
      assert.match(client.run('ip -s link show eth0').output, /\n {4}RX: {2}bytes packets errors dropped {2}missed {3}mcast {11}\n {4} +\d+ +\d+ +0 +0 +0 +0 \n {4}TX: {2}bytes packets errors dropped carrier collsns {11}\n/);
      assert.equal(client.run('ip foo').stderr, 'Object "foo" is unknown, try "ip help".\n');
      assert.equal(client.run('ip addr foo').stderr, 'Command "foo" is unknown, try "ip address help".\n');
      assert.equal(client.run('ip link set dev eth9 up').stderr, 'Cannot find device "eth9"\n');
      assert.equal(client.run('ip -z').stderr, 'Option "-z" is unknown, try "ip -help".\n');
    });

    it('ss shows the TCP states of a connection as it goes', function () {
      const { client, web, net } = routedLab();
      const ex = client.exec('curl -s http://10.0.2.2/delay?ms=3000');
      net.runFor(sec(1));
      assert.equal(
        client.run('ss -tanp').output,
        // The process cell carries its own leading space; the peer port column is only as wide as "Port".
        'State Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess                       \n' +
          'ESTAB 0      0           10.0.0.1:41489     10.0.2.2:80   users:(("curl",pid=100,fd=3))\n',
      );
      assert.equal(
        web.run('ss -tanp').output,
        'State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process                        \n' +
          'LISTEN 0      511          0.0.0.0:80        0.0.0.0:*     users:(("nginx",pid=100,fd=3))\n' +
          'ESTAB  0      0           10.2.0.2:80       10.0.0.1:41489 users:(("nginx",pid=100,fd=4))\n'.replace('10.2.0.2', '10.0.2.2'),
      );
      assert.equal(web.run('ss -tln').output, 'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\nLISTEN 0      511          0.0.0.0:80        0.0.0.0:*          \n');
      assert.match(web.run('ss -ta').output, /0\.0\.0\.0:http +0\.0\.0\.0:\*/);
      net.runUntilCondition(() => ex.done, sec(10));
      net.runFor(sec(1));
      assert.match(client.run('ss -tn').output, /^State +Recv-Q Send-Q Local Address:Port +Peer Address:PortProcess\n$/);
      assert.match(client.run('ss -tan').output, /^TIME-WAIT 0 +0 +10\.0\.0\.1:41489 +10\.0\.2\.2:80 +$/m);
      assert.equal(client.run('ss -Q').stderr.split('\n')[0], "ss: invalid option -- 'Q'");
    });

    it('tcpdump with a filter and -c, in virtual time', function () {
      const { client, net } = routedLab();
      const cap = client.exec('tcpdump -n -c 3 -i eth0 tcp port 80');
      const ex = client.run('curl -s -o /dev/null http://10.0.2.2/');
      assert.equal(ex.exitCode, 0);
      net.runUntilCondition(() => cap.done, sec(1));
      assert.ok(cap.done);
      assert.equal(cap.exitCode, 0);
      assert.equal(cap.stderr, 'tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n3 packets captured\n3 packets received by filter\n0 packets dropped by kernel\n');
      const out = cap.stdout.split('\n');
      assert.equal(out.length, 4);
      assert.match(out[0]!, /^00:00:00\.\d{6} IP 10\.0\.0\.1\.41489 > 10\.0\.2\.2\.80: Flags \[S\], seq \d+, win \d+, options \[.*\], length 0$/);
      assert.match(out[1]!, /^00:00:00\.\d{6} IP 10\.0\.2\.2\.80 > 10\.0\.0\.1\.41489: Flags \[S\.\], seq \d+, ack \d+, win \d+, options \[.*\], length 0$/);
      assert.match(out[2]!, /^00:00:00\.\d{6} IP 10\.0\.0\.1\.41489 > 10\.0\.2\.2\.80: Flags \[\.\], ack 1|Flags \[\.\], ack \d+/);
    });

    it('tcpdump -i any -e -X, Ctrl-C, and its errors', function () {
      const { client, net } = routedLab();
      const cap = client.exec('tcpdump -i any icmp');
      client.run('ping -c 1 10.0.0.254');
      net.runFor(sec(1));
      cap.interrupt();
      assert.ok(cap.done);
      assert.match(cap.stderr, /listening on any, link-type LINUX_SLL2 \(Linux cooked v2\), snapshot length 262144 bytes\n\n2 packets captured\n/);
      assert.match(cap.stdout, /^\d\d:\d\d:\d\d\.\d{6} eth0 {2}Out IP 10\.0\.0\.1 > 10\.0\.0\.254: ICMP echo request/m);
      assert.match(cap.stdout, /^\d\d:\d\d:\d\d\.\d{6} eth0 {2}In {2}IP 10\.0\.0\.254 > 10\.0\.0\.1: ICMP echo reply/m);
      const hex = client.exec('tcpdump -e -X -c 1 icmp');
      client.run('ping -c 1 10.0.0.254');
      assert.match(hex.stdout, / > .*, ethertype IPv4 \(0x0800\), length 98: 10\.0\.0\.1 > 10\.0\.0\.254: ICMP echo request.*\n\t0x0000: {2}4500 0054 /);
      assert.equal(client.run('tcpdump -i eth9').stderr, 'tcpdump: eth9: No such device exists\n(No such device exists)\n');
      assert.equal(client.run('tcpdump port 80 or').stderr, "tcpdump: can't parse filter expression: syntax error\n");
      assert.equal(client.run('tcpdump host nosuch').stderr, "tcpdump: unknown host 'nosuch'\n");
      assert.equal(client.run('tcpdump -c x').stderr, 'tcpdump: invalid packet count x\n');
    });

    it('curl -v transcript matches curl 7.88.1 line by line', function () {
      const { client } = routedLab();
      const ex = client.run('curl -v http://10.0.2.2/');
      assert.equal(ex.exitCode, 0);
      assert.deepEqual(ex.stderr.split('\n'), [
        '*   Trying 10.0.2.2:80...',
        '* Connected to 10.0.2.2 (10.0.2.2) port 80 (#0)',
        '> GET / HTTP/1.1',
        '> Host: 10.0.2.2',
        '> User-Agent: curl/7.88.1',
        '> Accept: */*',
        '> ',
        '< HTTP/1.1 200 OK',
        '< Server: nginx/1.22.1',
        '< Date: Mon, 01 Jan 2024 00:00:00 GMT',
        '< Content-Type: text/html',
        '< Content-Length: 172',
        '< Connection: keep-alive',
        '< ',
        '* Connection #0 to host 10.0.2.2 left intact',
        '',
      ]);
      assert.match(ex.stdout, /^<!DOCTYPE html>[\s\S]*<p>served by 10\.0\.2\.2:80<\/p>[\s\S]*<\/html>\n$/);
    });

    it('curl options: -o then cat, -w, -I, -i, -H, -X, -d, --resolve, names via DNS', function () {
      const { client, web } = routedLab();
      let ex = client.run("curl -s -o page.html -w '%{http_code}\\n' http://web.lab.example/");
      assert.equal(ex.output, '200\n');
      assert.match(client.run('cat page.html').output, /<p>host web\.lab\.example<\/p>/);
      ex = client.run('curl -I http://10.0.2.2/');
      assert.match(ex.stdout, /^HTTP\/1\.1 200 OK\nServer: nginx\/1\.22\.1\n[\s\S]*\n\n$/);
      ex = client.run('curl -si http://10.0.2.2/missing');
      assert.match(ex.stdout, /^HTTP\/1\.1 200 OK\n/);
      ex = client.run("curl -v -H 'Host: shop.example' -X PUT -d a=1 -d b=2 http://10.0.2.2/");
      assert.match(ex.stderr, /> PUT \/ HTTP\/1\.1\n> Host: shop\.example\n> User-Agent: curl\/7\.88\.1\n> Accept: \*\/\*\n> Content-Length: 7\n> Content-Type: application\/x-www-form-urlencoded\n> \n/);
      ex = client.run('curl -v --resolve www.shop.example:80:10.0.2.2 http://www.shop.example/');
      assert.match(ex.stderr, /^\* Added www\.shop\.example:80:10\.0\.2\.2 to DNS cache\n\* Hostname www\.shop\.example was found in DNS cache\n\* {3}Trying 10\.0\.2\.2:80\.\.\.\n\* Connected to www\.shop\.example \(10\.0\.2\.2\) port 80 \(#0\)\n/);
      web.run('systemctl stop nginx');
      ex = client.run('curl http://10.0.2.2/');
      assert.equal(ex.exitCode, 7);
      assert.equal(ex.stderr, "curl: (7) Failed to connect to 10.0.2.2 port 80 after 2 ms: Couldn't connect to server\n");
      web.run('systemctl start nginx');
      assert.equal(client.run('curl -s -o /dev/null -w "%{http_code}" http://10.0.2.2/').output, '200');
    });

    it('curl errors and exit codes as curl', function () {
      const { client } = routedLab();
      let ex = client.run('curl http://10.0.0.9/');
      assert.equal(ex.exitCode, 7);
      assert.equal(ex.stderr, "curl: (7) Failed to connect to 10.0.0.9 port 80 after 3000 ms: Couldn't connect to server\n");
      ex = client.run('curl http://nosuch.example/');
      assert.equal(ex.exitCode, 6);
      assert.equal(ex.stderr, 'curl: (6) Could not resolve host: nosuch.example\n');
      ex = client.run('curl -m 1 http://10.0.2.2/delay?ms=5000');
      assert.equal(ex.exitCode, 28);
      assert.equal(ex.stderr, 'curl: (28) Operation timed out after 1000 milliseconds with 0 bytes received\n');
      ex = client.run('curl --foo http://10.0.2.2/');
      assert.equal(ex.exitCode, 2);
      assert.equal(ex.stderr, "curl: option --foo: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n");
      ex = client.run('curl -o');
      assert.equal(ex.stderr, "curl: option -o: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n");
      ex = client.run('curl');
      assert.equal(ex.exitCode, 2);
      ex = client.run('curl -s http://10.0.0.9/');
      assert.equal(ex.stderr, '');
      assert.equal(ex.exitCode, 7);
      ex = client.run('curl -f http://10.0.2.2/missing -s -S');
      assert.equal(ex.exitCode, 0, 'the default page answers every path');
      ex = client.run('curl https://10.0.2.2/');
      assert.equal(ex.exitCode, 1);
    });

    it('dig and nslookup against the emulated DNS server', function () {
      const { client } = routedLab();
      const ex = client.run('dig web.lab.example');
      assert.equal(ex.exitCode, 0);
      const out = ex.output.replace(/id: \d+/, 'id: N');
      assert.equal(
        out,
        [
          '',
          '; <<>> DiG 9.18.28-1~deb12u2-Debian <<>> web.lab.example',
          ';; global options: +cmd',
          ';; Got answer:',
          ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: N',
          ';; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 0, ADDITIONAL: 0',
          ';; WARNING: recursion requested but not available',
          '',
          ';; QUESTION SECTION:',
          ';web.lab.example.\t\tIN\tA',
          '',
          ';; ANSWER SECTION:',
          'web.lab.example.\t300\tIN\tA\t10.0.2.2',
          '',
          ';; Query time: 0 msec',
          ';; SERVER: 10.0.0.53#53(10.0.0.53) (UDP)',
          ';; WHEN: Mon Jan 01 00:00:00 UTC 2024',
          ';; MSG SIZE  rcvd: 49',
          '',
          '',
        ].join('\n'),
      );
      assert.equal(client.run('dig +short @10.0.0.53 www.lab.example').output, 'web.lab.example.\n10.0.2.2\n');
      assert.match(client.run('dig nope.lab.example').output, /status: NXDOMAIN[\s\S]*;; AUTHORITY SECTION:\nlab\.example\.\t\t300\tIN\tSOA\t/);
      assert.equal(client.run('nslookup web.lab.example').output, 'Server:\t\t10.0.0.53\nAddress:\t10.0.0.53#53\n\nName:\tweb.lab.example\nAddress: 10.0.2.2\n\n');
      const nx = client.run('nslookup nope.lab.example');
      assert.equal(nx.exitCode, 1);
      assert.match(nx.output, /\*\* server can't find nope\.lab\.example: NXDOMAIN\n/);
      const dead = client.run('dig @10.0.0.77 +tries=1 x');
      assert.equal(dead.exitCode, 9);
      assert.match(dead.output, /^;; communications error to 10\.0\.0\.77#53: host unreachable\n\n; <<>> DiG [^\n]+ <<>> @10\.0\.0\.77 \+tries=1 x\n; \(1 server found\)\n;; global options: \+cmd\n;; no servers could be reached\n/);
      assert.match(client.run('ping -c 1 web').output, /^PING web\.lab\.example \(10\.0\.2\.2\) 56\(84\) bytes of data\./);
      // iputils prints the canonical name (after the CNAME); traceroute the name as given.
      assert.match(client.run('ping -c 1 www').output, /^PING web\.lab\.example \(10\.0\.2\.2\) /);
      assert.match(client.run('traceroute -n -m 1 www').output, /^traceroute to www \(10\.0\.2\.2\), 1 hops max/);
      const named = client.run('dig @ns1.lab.example +short web.lab.example');
      assert.equal(named.output, '10.0.2.2\n');
      assert.equal(client.run('dig a..b').stderr, "dig: 'a..b' is not a legal name (empty label)\n");
    });

    it('curl -w is written after failures too, with http_code 000', function () {
      const { client } = routedLab();
      const ex = client.run('curl -s -w "%{http_code} %{exitcode}\\n" http://10.0.0.9/');
      assert.equal(ex.exitCode, 7);
      assert.equal(ex.output, '000 7\n');
    });

    it('systemctl, hostname, cat and the resolver files', function () {
      const { client, web } = routedLab();
      assert.equal(client.run('hostname').output, 'client1\n');
      assert.equal(client.run('cat /etc/resolv.conf').output, 'search lab.example\nnameserver 10.0.0.53\n');
      assert.equal(client.run('cat /etc/hosts').output, '127.0.0.1\tlocalhost\n127.0.1.1\tclient1\n');
      assert.equal(client.run('cat /etc/nope').stderr, 'cat: /etc/nope: No such file or directory\n');
      assert.match(web.run('systemctl status nginx').output, /^● nginx\.service - A high performance web server and a reverse proxy server\n {5}Loaded: loaded \(\/lib\/systemd\/system\/nginx\.service; enabled; preset: enabled\)\n {5}Active: active \(running\) since Mon 2024-01-01 00:00:00 UTC; /);
      assert.equal(web.run('systemctl stop nginx').exitCode, 0);
      const st = web.run('systemctl status nginx');
      assert.equal(st.exitCode, 3);
      assert.match(st.output, /^○ nginx\.service[\s\S]*Active: inactive \(dead\)/);
      assert.equal(web.run('systemctl status nope').stderr, 'Unit nope.service could not be found.\n');
      assert.equal(web.run('systemctl start nope').stderr, 'Failed to start nope.service: Unit nope.service not found.\n');
      assert.equal(web.run('systemctl restart nginx').exitCode, 0);
      assert.equal(web.run('systemctl is-active nginx').output, 'active\n');
    });
  });

  describe('robustness', function () {
    it('unknown commands answer like bash', function () {
      const { client } = twoHosts();
      const ex = client.run('ifconfig -a');
      assert.equal(ex.exitCode, 127);
      assert.equal(ex.stderr, 'bash: ifconfig: command not found\n');
    });

    it('the same commands twice give identical transcripts', function () {
      const script = ['ping -c 2 web', 'traceroute -n 10.0.2.2', 'curl -v http://web/', 'dig web.lab.example', 'ss -tanp', 'ip neigh', 'ip -s link'];
      const once = (): string => {
        const { client, net } = routedLab(7);
        const cap = client.exec('tcpdump -n -i eth0');
        const t = transcript(client, script);
        cap.interrupt();
        net.runFor(sec(1));
        return t + cap.output;
      };
      const a = once();
      assert.equal(once(), a);
      assert.ok(a.length > 2000);
    });

    it('random lines never throw out of the host shell', function () {
      const { client, net } = twoHosts();
      const words = ['ping', 'ip', 'ss', 'tcpdump', 'curl', 'dig', 'nslookup', 'systemctl', 'traceroute', 'cat', '-c', '1', '-v', '-tanp', 'addr', 'route', 'add', 'del', 'link', 'set', 'dev', 'eth0', 'up', '10.0.0.2', 'http://10.0.0.2/', '@10.0.0.2', '-w', '1', '-m', 'port', '80', '&&', ';', "'", '"', '-i', 'any', 'x'];
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.constantFrom(...words), { maxLength: 8 }).map((w) => w.join(' '))), (line) => {
          const ex = client.exec(line);
          net.runUntilCondition(() => ex.done, sec(30));
          if (!ex.done) ex.interrupt();
          net.runUntilCondition(() => ex.done, sec(1));
          assert.ok(ex.done, line);
        }),
        { numRuns: 300 },
      );
    });
  });
});
