import { useSyncExternalStore } from 'react';
import type { EditorState, EditorStore } from './state/editor-store';

export function useEditor<T>(store: EditorStore, select: (s: EditorState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
