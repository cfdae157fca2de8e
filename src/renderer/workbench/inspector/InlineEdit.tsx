/**
 * A value edited in place, in the tree: a Python literal; Enter stages it, Escape cancels. A
 * refused literal keeps the editor open with the reason beside it.
 */
import { useState } from 'react';

interface Props {
  label: string;
  initial: string;
  /** resolves to why the value was refused, or null once it is staged */
  onCommit(text: string): Promise<string | null>;
  onCancel(): void;
}

export function InlineEdit({ label, initial, onCommit, onCancel }: Props) {
  const [text, setText] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <span className="inline-edit">
      <input
        autoFocus
        aria-label={label}
        value={text}
        aria-invalid={problem ? true : undefined}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          } else if (e.key === 'Enter') {
            e.preventDefault();
            void onCommit(text).then(setProblem);
          }
        }}
      />
      {problem ? (
        <span className="edit-problem" role="alert">
          {problem}
        </span>
      ) : (
        <span className="muted"> Enter stages · Esc cancels</span>
      )}
    </span>
  );
}
