/**
 * A small, safe Markdown renderer for lab text: it builds DOM nodes directly (text always through
 * text nodes, never innerHTML), so nothing in a lab file can inject markup or script.
 *
 * Supported: paragraphs (soft line breaks join), headings (#, ##, ###), bullet and numbered lists
 * (one level, continuation lines), fenced code blocks (```), block quotes (>), horizontal rules, and
 * inline `code`, **bold**, *italic* / _italic_, [text](url) (shown as text with the address as its
 * tooltip — a lab guide never navigates away).
 */

export interface MarkdownOptions {
  /** Called for each fenced block, to add actions (copy ...) next to it. */
  decorateCode?: (pre: HTMLPreElement, code: string) => void;
}

type Block =
  | { k: 'p'; text: string }
  | { k: 'h'; level: number; text: string }
  | { k: 'ul' | 'ol'; items: string[]; start: number }
  | { k: 'code'; lang: string; text: string }
  | { k: 'quote'; text: string }
  | { k: 'hr' };

export function parseBlocks(src: string): Block[] {
  const lines = src.replace(/\r\n?/g, '\n').split('\n');
  const out: Block[] = [];
  let i = 0;
  const isBlank = (s: string | undefined): boolean => s === undefined || s.trim() === '';
  const listRe = /^\s{0,3}([-*+]|\d{1,3}[.)])\s+(.*)$/;
  while (i < lines.length) {
    const line = lines[i]!;
    if (isBlank(line)) {
      i++;
      continue;
    }
    const fence = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      const close = fence[1]!;
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.trim().startsWith(close)) body.push(lines[i++]!);
      i++;
      out.push({ k: 'code', lang: fence[2] ?? '', text: body.join('\n') });
      continue;
    }
    const hd = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (hd) {
      out.push({ k: 'h', level: hd[1]!.length, text: hd[2]! });
      i++;
      continue;
    }
    if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push({ k: 'hr' });
      i++;
      continue;
    }
    if (/^\s{0,3}>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s{0,3}>/.test(lines[i]!)) body.push(lines[i++]!.replace(/^\s{0,3}>\s?/, ''));
      out.push({ k: 'quote', text: body.join('\n') });
      continue;
    }
    const li = listRe.exec(line);
    if (li) {
      const ordered = /\d/.test(li[1]!);
      const items: string[] = [];
      const start = ordered ? parseInt(li[1]!, 10) : 1;
      while (i < lines.length) {
        const m = listRe.exec(lines[i]!);
        if (m && /\d/.test(m[1]!) === ordered) {
          items.push(m[2]!);
          i++;
        } else if (!isBlank(lines[i]) && /^\s+\S/.test(lines[i]!) && items.length) {
          items[items.length - 1] += `\n${lines[i]!.trim()}`;
          i++;
        } else break;
      }
      out.push({ k: ordered ? 'ol' : 'ul', items, start });
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && !listRe.test(lines[i]!) && !/^\s{0,3}(```|~~~|#{1,6}\s|>)/.test(lines[i]!)) body.push(lines[i++]!.trim());
    out.push({ k: 'p', text: body.join('\n') });
  }
  return out;
}

/** Inline spans: code, bold, italic, links; everything else is text. */
export function renderInline(text: string, parent: Node): void {
  const re = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*([^*\s][^*]*?)\*|(?<![\w])_([^_\s][^_]*?)_(?![\w])|\[([^\]]+)\]\(([^)\s]+)\)/g;
  let last = 0;
  const addText = (s: string): void => {
    // Soft line breaks become spaces, as in Markdown.
    if (s) parent.appendChild(document.createTextNode(s.replace(/\n/g, ' ')));
  };
  for (let m = re.exec(text); m; m = re.exec(text)) {
    addText(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) {
      const c = document.createElement('code');
      c.textContent = m[2]!.trim() === '' ? m[2]! : m[2]!.replace(/^ (.*) $/, '$1');
      parent.appendChild(c);
    } else if (m[3] !== undefined || m[4] !== undefined) {
      const b = document.createElement('strong');
      renderInline(m[3] ?? m[4]!, b);
      parent.appendChild(b);
    } else if (m[5] !== undefined || m[6] !== undefined) {
      const e = document.createElement('em');
      renderInline(m[5] ?? m[6]!, e);
      parent.appendChild(e);
    } else if (m[7] !== undefined) {
      const a = document.createElement('span');
      a.className = 'md-link';
      a.title = m[8]!;
      renderInline(m[7], a);
      parent.appendChild(a);
    }
  }
  addText(text.slice(last));
}

export function renderMarkdown(src: string, opts: MarkdownOptions = {}): DocumentFragment {
  const frag = document.createDocumentFragment();
  for (const b of parseBlocks(src)) {
    switch (b.k) {
      case 'p': {
        const p = document.createElement('p');
        renderInline(b.text, p);
        frag.appendChild(p);
        break;
      }
      case 'h': {
        const el = document.createElement(`h${Math.min(6, b.level + 2)}` as 'h3');
        renderInline(b.text, el);
        frag.appendChild(el);
        break;
      }
      case 'ul':
      case 'ol': {
        const list = document.createElement(b.k);
        if (b.k === 'ol' && b.start !== 1) list.setAttribute('start', String(b.start));
        for (const it of b.items) {
          const li = document.createElement('li');
          renderInline(it, li);
          list.appendChild(li);
        }
        frag.appendChild(list);
        break;
      }
      case 'code': {
        const pre = document.createElement('pre');
        const code = document.createElement('code');
        code.textContent = b.text;
        pre.appendChild(code);
        opts.decorateCode?.(pre, b.text);
        frag.appendChild(pre);
        break;
      }
      case 'quote': {
        const q = document.createElement('blockquote');
        q.appendChild(renderMarkdown(b.text, opts));
        frag.appendChild(q);
        break;
      }
      case 'hr':
        frag.appendChild(document.createElement('hr'));
        break;
    }
  }
  return frag;
}
