/** A workbench action: what the palette lists, a keybinding matches, a menu item runs. */
export interface Command {
  id: string;
  /** 'Category: Action', as the palette shows it */
  title: string;
  /** e.g. 'Mod+Shift+P' (see keybindings.ts); more than one for aliases */
  keys?: string[];
  /** the keys apply only while focus is inside this selector (e.g. '.explorer' for F2) */
  focus?: string;
  /** false: not runnable now (no file open…); the palette shows it greyed */
  enabled?: boolean;
  run(): void;
}
