/**
 * The workbench's prompt, confirm and notice banner. Views below the workbench (the inspector)
 * confirm through `DialogsContext`, so every destructive action asks in the same dialog.
 */
import { createContext, useCallback, useContext, useMemo, useState } from 'react';
import type { DialogRequest } from '../Dialog.js';

export interface Dialogs {
  ask(title: string, initial: string): Promise<string | null>;
  /** resolves to the index of the button chosen; Escape or the last button is "cancel" */
  choose(title: string, message: string, buttons: string[]): Promise<number>;
  /** asks once; true only for the first (confirming) button */
  confirm(title: string, message: string, action: string): Promise<boolean>;
  fail(message: string): void;
}

export const DialogsContext = createContext<Dialogs | null>(null);

export function useDialogsContext(): Dialogs {
  const dialogs = useContext(DialogsContext);
  if (!dialogs) throw new Error('useDialogsContext outside the workbench');
  return dialogs;
}

export function useDialogs() {
  const [dialog, setDialog] = useState<DialogRequest | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const ask = useCallback(
    (title: string, initial: string) =>
      new Promise<string | null>((resolve) =>
        setDialog({ kind: 'prompt', title, initial, resolve }),
      ),
    [],
  );
  const choose = useCallback(
    (title: string, message: string, buttons: string[]) =>
      new Promise<number>((resolve) =>
        setDialog({ kind: 'confirm', title, message, buttons, resolve }),
      ),
    [],
  );
  const confirm = useCallback(
    async (title: string, message: string, action: string) =>
      (await choose(title, message, [action, 'Cancel'])) === 0,
    [choose],
  );
  const fail = useCallback((message: string) => setNotice(message), []);
  const dialogs: Dialogs = useMemo(
    () => ({ ask, choose, confirm, fail }),
    [ask, choose, confirm, fail],
  );
  return {
    dialogs,
    dialog,
    closeDialog: useCallback(() => setDialog(undefined), []),
    notice,
    dismissNotice: useCallback(() => setNotice(undefined), []),
  };
}
