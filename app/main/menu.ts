/** The native menus, with Korean and English labels. Pure: returns a template main turns into a Menu. */
import type { Lang } from '../shared/bridge.ts';

export type MenuCommand = 'open-capture' | 'save-capture' | 'open-in-wireshark' | 'reset-lab' | 'lang-ko' | 'lang-en' | 'reload' | 'devtools' | 'quit' | 'about';

export interface MenuItemSpec {
  readonly label: string;
  readonly command?: MenuCommand;
  readonly accelerator?: string;
  readonly type?: 'separator' | 'radio';
  readonly checked?: boolean;
  readonly enabled?: boolean;
}

export interface MenuSpec {
  readonly label: string;
  readonly items: readonly MenuItemSpec[];
}

const L = {
  file: { ko: '파일', en: 'File' },
  open: { ko: '캡처 파일 열기…', en: 'Open Capture…' },
  save: { ko: '캡처를 pcapng로 저장…', en: 'Save Capture as pcapng…' },
  wireshark: { ko: 'Wireshark에서 열기', en: 'Open in Wireshark' },
  quit: { ko: '끝내기', en: 'Quit' },
  lab: { ko: '실습', en: 'Lab' },
  reset: { ko: '실습 초기화', en: 'Reset Lab' },
  view: { ko: '보기', en: 'View' },
  reload: { ko: '새로 고침', en: 'Reload' },
  devtools: { ko: '개발자 도구', en: 'Developer Tools' },
  language: { ko: '언어', en: 'Language' },
  help: { ko: '도움말', en: 'Help' },
  about: { ko: 'pktlab 정보', en: 'About pktlab' },
} as const;

export function menuSpec(lang: Lang, opts: { wireshark: boolean }): MenuSpec[] {
  const l = (k: keyof typeof L): string => L[k][lang];
  return [
    {
      label: l('file'),
      items: [
        { label: l('open'), command: 'open-capture', accelerator: 'CmdOrCtrl+O' },
        { label: l('save'), command: 'save-capture', accelerator: 'CmdOrCtrl+S' },
        { label: l('wireshark'), command: 'open-in-wireshark', enabled: opts.wireshark },
        { label: '', type: 'separator' },
        { label: l('quit'), command: 'quit', accelerator: 'CmdOrCtrl+Q' },
      ],
    },
    { label: l('lab'), items: [{ label: l('reset'), command: 'reset-lab' }] },
    {
      label: l('view'),
      items: [
        { label: l('reload'), command: 'reload', accelerator: 'CmdOrCtrl+R' },
        { label: l('devtools'), command: 'devtools', accelerator: 'CmdOrCtrl+Shift+I' },
      ],
    },
    {
      label: l('language'),
      items: [
        { label: '한국어', command: 'lang-ko', type: 'radio', checked: lang === 'ko' },
        { label: 'English', command: 'lang-en', type: 'radio', checked: lang === 'en' },
      ],
    },
    { label: l('help'), items: [{ label: l('about'), command: 'about' }] },
  ];
}
