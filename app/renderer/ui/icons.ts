/**
 * Icons: inline SVG, bundled (no icon font, no remote content). UI icons are 24×24 strokes that take
 * the text colour; device icons are full-colour pictures for the topology (as data: URIs, which the
 * CSP allows for images).
 */
const UI: Record<string, string> = {
  play: '<path d="M7 4.5v15l12-7.5z" fill="currentColor" stroke="none"/>',
  pause: '<rect x="6" y="4.5" width="4" height="15" rx="1" fill="currentColor" stroke="none"/><rect x="14" y="4.5" width="4" height="15" rx="1" fill="currentColor" stroke="none"/>',
  stepBack: '<path d="M6 5v14"/><path d="M19 5.5v13L9 12z" fill="currentColor"/>',
  stepForward: '<path d="M18 5v14"/><path d="M5 5.5v13L15 12z" fill="currentColor"/>',
  open: '<path d="M3 7a2 2 0 0 1 2-2h4l2 2h8a2 2 0 0 1 2 2v1"/><path d="M3 7v11a1 1 0 0 0 1 1h14.5a1 1 0 0 0 1-.8L21.6 12a1 1 0 0 0-1-1.2H7.3a1 1 0 0 0-1 .8L4 19"/>',
  save: '<path d="M5 3h11l3 3v13a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z"/><path d="M7 3v5h8V3"/><rect x="7" y="13" width="10" height="6" rx="1"/>',
  shark: '<path d="M2 17c3 0 4-1.5 6-1.5S11 17 14 17s4-1.5 6-1.5"/><path d="M6 14.5C8 9 11 5 17 4c-2 3-2.5 6.5-1 10.5"/>',
  check: '<path d="M4 12.5l5 5L20 6.5"/>',
  checkCircle: '<circle cx="12" cy="12" r="9"/><path d="M7.5 12.5l3 3 6-6.5"/>',
  xCircle: '<circle cx="12" cy="12" r="9"/><path d="M9 9l6 6M15 9l-6 6"/>',
  dotCircle: '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="2.5" fill="currentColor"/>',
  bulb: '<path d="M9 18h6M10 21h4"/><path d="M12 3a6 6 0 0 0-3.6 10.8c.7.6 1.1 1.3 1.1 2.2h5c0-.9.4-1.6 1.1-2.2A6 6 0 0 0 12 3z"/>',
  reset: '<path d="M3 12a9 9 0 1 0 3-6.7"/><path d="M3 4v5h5"/>',
  left: '<path d="M15 5l-7 7 7 7"/>',
  right: '<path d="M9 5l7 7-7 7"/>',
  down: '<path d="M5 9l7 7 7-7"/>',
  x: '<path d="M6 6l12 12M18 6L6 18"/>',
  filter: '<path d="M3 5h18l-7 8v6l-4 2v-8z"/>',
  globe: '<circle cx="12" cy="12" r="9"/><path d="M3 12h18M12 3c2.5 2.6 3.8 5.6 3.8 9s-1.3 6.4-3.8 9c-2.5-2.6-3.8-5.6-3.8-9S9.5 5.6 12 3z"/>',
  moon: '<path d="M20 14.5A8 8 0 0 1 9.5 4a8 8 0 1 0 10.5 10.5z"/>',
  sun: '<circle cx="12" cy="12" r="4"/><path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4"/>',
  keyboard: '<rect x="2" y="6" width="20" height="12" rx="2"/><path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10"/>',
  terminal: '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 9l3 3-3 3M12 15h5"/>',
  list: '<path d="M8 6h13M8 12h13M8 18h13M3.5 6h.01M3.5 12h.01M3.5 18h.01"/>',
  server: '<rect x="3" y="4" width="18" height="7" rx="1.5"/><rect x="3" y="13" width="18" height="7" rx="1.5"/><path d="M7 7.5h.01M7 16.5h.01"/>',
  copy: '<rect x="8" y="8" width="12" height="12" rx="2"/><path d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"/>',
  paste: '<rect x="6" y="4" width="12" height="17" rx="2"/><path d="M9 4V3h6v1M9 10h6M9 14h6"/>',
  eraser: '<path d="M16 4l5 5-10 10H6l-3-3z"/><path d="M10 20h10M8.5 9.5l6 6"/>',
  send: '<path d="M4 12l16-8-6 16-2.5-6.5z"/><path d="M11.5 13.5L20 4"/>',
  maximize: '<path d="M14 4h6v6M10 20H4v-6M20 4l-7 7M4 20l7-7"/>',
  restore: '<path d="M4 14h6v6M20 10h-6V4M10 14l-7 7M14 10l7-7"/>',
  fit: '<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/>',
  chart: '<path d="M4 4v16h16"/><path d="M8 15l3.5-4 3 2.5L20 7"/>',
  info: '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5h.01"/>',
  alert: '<path d="M12 3l10 18H2z"/><path d="M12 10v5M12 18h.01"/>',
  book: '<path d="M4 5a2 2 0 0 1 2-2h13v16H6a2 2 0 0 0-2 2z"/><path d="M4 21V5M8 7h7"/>',
  topology: '<circle cx="5" cy="12" r="2.5"/><circle cx="19" cy="6" r="2.5"/><circle cx="19" cy="18" r="2.5"/><path d="M7.3 11l9.4-4M7.3 13l9.4 4"/>',
  packets: '<rect x="3" y="4" width="18" height="4" rx="1"/><rect x="3" y="10" width="18" height="4" rx="1"/><rect x="3" y="16" width="18" height="4" rx="1"/>',
  device: '<rect x="4" y="4" width="16" height="16" rx="2"/><path d="M9 1v3M15 1v3M9 20v3M15 20v3M1 9h3M1 15h3M20 9h3M20 15h3"/><rect x="9" y="9" width="6" height="6"/>',
  spark: '<path d="M12 3v4M12 17v4M3 12h4M17 12h4M6 6l2.5 2.5M15.5 15.5L18 18M6 18l2.5-2.5M15.5 8.5L18 6"/>',
  gear: '<circle cx="12" cy="12" r="3"/><path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1"/>',
  flag: '<path d="M5 21V4M5 4h11l-2 4 2 4H5"/>',
};

export type IconName = keyof typeof UI;

export function icon(name: IconName | string, cls = ''): SVGSVGElement {
  const body = UI[name] ?? UI.info!;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">${body}</svg>`;
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const el = document.importNode(doc.documentElement, true) as unknown as SVGSVGElement;
  el.setAttribute('class', `icon${cls ? ` ${cls}` : ''}`);
  el.setAttribute('aria-hidden', 'true');
  el.setAttribute('focusable', 'false');
  return el;
}

/** Device pictures (64×64) for the topology view, by device kind. */
const DEVICES: Record<string, string> = {
  host:
    '<rect x="8" y="10" width="48" height="32" rx="4" fill="#1e3a5f" stroke="#7fb2ff" stroke-width="2.5"/>' +
    '<rect x="13" y="15" width="38" height="22" rx="1.5" fill="#0b1626"/>' +
    '<path d="M17 21h14M17 26h22M17 31h10" stroke="#5fd3a5" stroke-width="2.2" stroke-linecap="round"/>' +
    '<path d="M26 42l-3 8h18l-3-8" fill="#2b4a7e"/><rect x="18" y="50" width="28" height="4" rx="2" fill="#7fb2ff"/>',
  server:
    '<rect x="12" y="6" width="40" height="52" rx="4" fill="#1e3a5f" stroke="#7fb2ff" stroke-width="2.5"/>' +
    '<rect x="17" y="12" width="30" height="9" rx="2" fill="#0b1626"/><rect x="17" y="26" width="30" height="9" rx="2" fill="#0b1626"/><rect x="17" y="40" width="30" height="9" rx="2" fill="#0b1626"/>' +
    '<circle cx="22" cy="16.5" r="2" fill="#5fd3a5"/><circle cx="22" cy="30.5" r="2" fill="#5fd3a5"/><circle cx="22" cy="44.5" r="2" fill="#ffb020"/>',
  router:
    '<circle cx="32" cy="32" r="24" fill="#1f4f3a" stroke="#5fd3a5" stroke-width="2.5"/>' +
    '<path d="M32 14v14M32 36v14M14 32h14M36 32h14" stroke="#e6fff4" stroke-width="3" stroke-linecap="round"/>' +
    '<path d="M27 19l5-6 5 6M27 45l5 6 5-6M19 27l-6 5 6 5M45 27l6 5-6 5" fill="none" stroke="#e6fff4" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/>',
  l4switch:
    '<rect x="4" y="16" width="56" height="32" rx="5" fill="#4a2d6b" stroke="#c39bff" stroke-width="2.5"/>' +
    '<text x="14" y="38" font-family="DejaVu Sans, sans-serif" font-weight="700" font-size="15" fill="#ffffff">L4</text>' +
    '<path d="M36 25h16M36 32h16M36 39h16" stroke="#e9dcff" stroke-width="2.4" stroke-linecap="round"/>' +
    '<path d="M48 21.5l4 3.5-4 3.5M40 35.5l-4 3.5 4 3.5M48 28.5l4 3.5-4 3.5" fill="none" stroke="#e9dcff" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"/>' +
    '<circle cx="10" cy="44" r="1.6" fill="#5fd3a5"/><circle cx="15" cy="44" r="1.6" fill="#5fd3a5"/>',
  switch:
    '<rect x="4" y="22" width="56" height="20" rx="4" fill="#274060" stroke="#7fb2ff" stroke-width="2.2"/>' +
    '<rect x="10" y="28" width="6" height="8" rx="1" fill="#0b1626"/><rect x="19" y="28" width="6" height="8" rx="1" fill="#0b1626"/><rect x="28" y="28" width="6" height="8" rx="1" fill="#0b1626"/><rect x="37" y="28" width="6" height="8" rx="1" fill="#0b1626"/><rect x="46" y="28" width="6" height="8" rx="1" fill="#0b1626"/>',
  appliance:
    '<path d="M32 6l22 8v16c0 14-9.5 23-22 28C19.5 53 10 44 10 30V14z" fill="#5b2a2a" stroke="#ff8a80" stroke-width="2.5"/>' +
    '<path d="M22 32l7 7 13-14" fill="none" stroke="#ffe0dc" stroke-width="3.5" stroke-linecap="round" stroke-linejoin="round"/>',
  aws:
    '<path d="M18 46h30a10 10 0 0 0 1-20 14 14 0 0 0-27-3 11 11 0 0 0-4 23z" fill="#4d3510" stroke="#ffb020" stroke-width="2.5"/>' +
    '<path d="M22 52c6 3 14 3 20 0" fill="none" stroke="#ffb020" stroke-width="2.5" stroke-linecap="round"/>',
  generic:
    '<rect x="10" y="10" width="44" height="44" rx="8" fill="#2a3446" stroke="#9fb0c8" stroke-width="2.5"/><circle cx="32" cy="32" r="8" fill="#9fb0c8"/>',
};

export function deviceIconUri(kind: string): string {
  const k = /^(host|server|router|l4switch|switch|appliance|aws)$/.test(kind) ? kind : /aws|elb|alb|nlb|gwlb|nat|igw|ec2/i.test(kind) ? 'aws' : /fw|firewall|ips|appliance/i.test(kind) ? 'appliance' : /switch/.test(kind) ? 'switch' : 'generic';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">${DEVICES[k]}</svg>`;
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
