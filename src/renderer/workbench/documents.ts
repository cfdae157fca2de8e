/**
 * Open documents: one Monaco model per file, its saved version, and whether it is dirty. Text
 * lives in the model, so switching tabs never loses an edit; a file changed on disk replaces the
 * model's text only when the user has no unsaved edits.
 */
import type { ApiClient } from '../../common/rpc.js';
import { languageFor, monaco, uriFor } from '../editor/monaco-setup.js';

export interface Doc {
  path: string;
  model: monaco.editor.ITextModel;
  savedVersion: number;
  /** the file's text on disk as last read or written here: a save over anything else asks */
  diskText: string;
  /** deleted or changed on disk while dirty */
  conflict?: 'deleted' | 'changed';
}

export class Documents {
  private readonly docs = new Map<string, Doc>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly api: ApiClient) {}

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  get(path: string): Doc | undefined {
    return this.docs.get(path);
  }

  all(): Doc[] {
    return [...this.docs.values()];
  }

  isDirty(path: string): boolean {
    const doc = this.docs.get(path);
    return (
      !!doc &&
      (doc.model.getAlternativeVersionId() !== doc.savedVersion || doc.conflict === 'deleted')
    );
  }

  anyDirty(): boolean {
    return this.all().some((d) => this.isDirty(d.path));
  }

  async open(path: string): Promise<Doc> {
    const existing = this.docs.get(path);
    if (existing) return existing;
    const file = await this.api.readFile(path);
    const model =
      monaco.editor.getModel(uriFor(path)) ??
      monaco.editor.createModel(file.text, languageFor(path), uriFor(path));
    const doc: Doc = {
      path,
      model,
      savedVersion: model.getAlternativeVersionId(),
      diskText: file.text,
    };
    model.onDidChangeContent(() => this.changed());
    this.docs.set(path, doc);
    this.changed();
    return doc;
  }

  async save(path: string): Promise<void> {
    const doc = this.docs.get(path);
    if (!doc) return;
    const version = doc.model.getAlternativeVersionId();
    const text = doc.model.getValue();
    await this.api.writeFile(path, text);
    doc.savedVersion = version;
    doc.diskText = text;
    delete doc.conflict;
    this.changed();
  }

  /**
   * What is on disk now, if it is not what this document was read from or last saved as
   * (someone else wrote the file): null when saving would overwrite nothing unseen.
   */
  async changedOnDisk(path: string): Promise<{ text: string } | { deleted: true } | null> {
    const doc = this.docs.get(path);
    if (!doc) return null;
    const file = await this.api.readFile(path).catch(() => undefined);
    if (!file) return doc.conflict === 'deleted' ? null : { deleted: true };
    return file.text === doc.diskText ? null : { text: file.text };
  }

  /** Drops the unsaved text for the file's text on disk. */
  async revert(path: string): Promise<void> {
    const doc = this.docs.get(path);
    if (!doc) return;
    const file = await this.api.readFile(path);
    doc.model.setValue(file.text);
    doc.diskText = file.text;
    doc.savedVersion = doc.model.getAlternativeVersionId();
    delete doc.conflict;
    this.changed();
  }

  close(path: string): void {
    const doc = this.docs.get(path);
    if (!doc) return;
    this.docs.delete(path);
    doc.model.dispose();
    this.changed();
  }

  /** The file changed on disk: take the new text unless the user has unsaved edits. */
  async reloadFromDisk(path: string): Promise<void> {
    const doc = this.docs.get(path);
    if (!doc) return;
    const file = await this.api.readFile(path).catch(() => undefined);
    if (!file || file.text === doc.model.getValue()) {
      if (file) {
        doc.diskText = file.text;
        doc.savedVersion = doc.model.getAlternativeVersionId();
        delete doc.conflict;
        this.changed();
      }
      return;
    }
    if (this.isDirty(path)) {
      doc.conflict = 'changed';
    } else {
      doc.model.setValue(file.text);
      doc.diskText = file.text;
      doc.savedVersion = doc.model.getAlternativeVersionId();
    }
    this.changed();
  }

  markDeleted(path: string): void {
    const doc = this.docs.get(path);
    if (!doc) return;
    // Keep the text: the user can save it back. Never drop an open file's content silently.
    doc.conflict = 'deleted';
    this.changed();
  }

  /** After a rename in the tree: move the open document with its unsaved text. */
  rename(from: string, to: string): void {
    for (const doc of this.all()) {
      if (doc.path !== from && !doc.path.startsWith(from + '/')) continue;
      const path = to + doc.path.slice(from.length);
      const dirty = this.isDirty(doc.path);
      const model = monaco.editor.createModel(
        doc.model.getValue(),
        languageFor(path),
        uriFor(path),
      );
      model.onDidChangeContent(() => this.changed());
      this.docs.delete(doc.path);
      doc.model.dispose();
      this.docs.set(path, {
        path,
        model,
        savedVersion: dirty ? -1 : model.getAlternativeVersionId(),
        diskText: doc.diskText,
      });
    }
    this.changed();
  }
}
