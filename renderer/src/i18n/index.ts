import { createContext, useContext } from 'react';
import { type Lang, STRINGS, type StringKey } from './strings';

export type Translate = (key: StringKey, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): Translate {
  return (key, vars) => {
    let s: string = STRINGS[lang][key] ?? STRINGS.en[key];
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.replace(`{${k}}`, String(v));
    return s;
  };
}

export function initialLang(): Lang {
  const saved = localStorage.getItem('poster-studio-lang');
  if (saved === 'zh' || saved === 'en') return saved;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const I18nContext = createContext<{ lang: Lang; t: Translate; setLang(l: Lang): void }>({
  lang: 'en',
  t: translator('en'),
  setLang: () => {},
});

export const useI18n = () => useContext(I18nContext);
