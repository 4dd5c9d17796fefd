/**
 * Renderer entry: connects the bridge (preload in Electron, WebSocket in web mode) and starts the
 * pktlab window (ui/app.ts): lab guide, topology, consoles, packet panes, timeline, files.
 */
import { connectBridge } from './bridge-client.ts';
import { h } from './components/dom.ts';
import { t } from './i18n.ts';
import { App } from './ui/app.ts';

async function boot(): Promise<void> {
  const root = document.getElementById('app')!;
  root.replaceChildren(h('div', { class: 'boot' }, h('img', { src: 'icon.svg', alt: '' }), h('span', {}, t('connecting'))));
  try {
    const conn = await connectBridge();
    const app = new App(conn.bridge);
    conn.onClose(() => app.onDisconnect());
    await app.start();
  } catch (e) {
    root.replaceChildren(h('div', { class: 'banner', role: 'alert' }, e instanceof Error ? e.message : String(e)));
  }
}

void boot();
