/** In-app prompt and confirm (Electron has no window.prompt; one look in both modes). */
import { useEffect, useRef, useState } from 'react';

export type DialogRequest =
  | { kind: 'prompt'; title: string; initial: string; resolve(value: string | null): void }
  | {
      kind: 'confirm';
      title: string;
      message: string;
      buttons: string[];
      resolve(choice: number): void;
    };

export function Dialog({ request, done }: { request: DialogRequest; done(): void }) {
  const [value, setValue] = useState(request.kind === 'prompt' ? request.initial : '');
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.select();
  }, []);
  const finish = (result: string | null | number): void => {
    done();
    if (request.kind === 'prompt') request.resolve(result as string | null);
    else request.resolve(result as number);
  };
  return (
    <div className="dialog-backdrop" role="presentation">
      <div
        className="dialog"
        role="dialog"
        aria-label={request.title}
        onKeyDown={(e) => {
          // Escape is the last button of a confirm: Cancel
          if (e.key === 'Escape' && request.kind === 'confirm') finish(request.buttons.length - 1);
        }}
      >
        <div className="dialog-title">{request.title}</div>
        {request.kind === 'prompt' ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              finish(value.trim() || null);
            }}
          >
            <input
              ref={input}
              autoFocus
              value={value}
              onChange={(e) => setValue(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && finish(null)}
              aria-label={request.title}
            />
            <div className="dialog-buttons">
              <button type="submit">OK</button>
              <button type="button" onClick={() => finish(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <>
            <p>{request.message}</p>
            <div className="dialog-buttons">
              {request.buttons.map((label, i) => (
                <button key={label} autoFocus={i === 0} onClick={() => finish(i)}>
                  {label}
                </button>
              ))}
            </div>
          </>
        )}
      </div>
    </div>
  );
}
