/**
 * The page's CSP allows styles only from our own files (`style-src 'self'`), so a `<style>` element
 * created at run time is refused. xterm.js's DOM renderer creates two (theme colours and cell
 * dimensions) and fills them with generated CSS.
 *
 * `withCspSafeStyles(fn)` runs `fn` (e.g. `terminal.open(el)`) with `document.createElement('style')`
 * answering an inert `<pktlab-style>` element instead (hidden by styles.css). Whatever CSS the
 * library writes into it is applied through a constructed stylesheet (`adoptedStyleSheets`), which
 * carries no markup and needs no inline-style exception.
 */
const sheets = new Map<HTMLElement, CSSStyleSheet>();

function track(el: HTMLElement): void {
  const sheet = new CSSStyleSheet();
  sheets.set(el, sheet);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  const sync = (): void => {
    try {
      sheet.replaceSync(el.textContent ?? '');
    } catch {
      /* bad CSS is ignored, as a <style> would */
    }
  };
  new MutationObserver(sync).observe(el, { childList: true, characterData: true, subtree: true });
  sync();
}

export function withCspSafeStyles<T>(fn: () => T): T {
  const doc = document;
  const original = doc.createElement;
  const patched = function (this: Document, tag: string, options?: ElementCreationOptions): HTMLElement {
    if (typeof tag === 'string' && tag.toLowerCase() === 'style') {
      const el = original.call(doc, 'pktlab-style') as HTMLElement;
      track(el);
      return el;
    }
    return original.call(doc, tag, options) as HTMLElement;
  };
  (doc as { createElement: unknown }).createElement = patched;
  try {
    return fn();
  } finally {
    (doc as { createElement: unknown }).createElement = original;
  }
}

/** Drops the sheets of style elements that left the page (closed terminals). */
export function pruneCspStyles(): void {
  let changed = false;
  for (const [el, sheet] of sheets) {
    if (!el.isConnected) {
      sheets.delete(el);
      document.adoptedStyleSheets = document.adoptedStyleSheets.filter((s) => s !== sheet);
      changed = true;
    }
  }
  void changed;
}
