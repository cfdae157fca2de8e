/**
 * A recorded response body, as a page (rendered in a sandboxed frame: no scripts, an opaque
 * origin) or as its source.
 */
import { useState } from 'react';

export function ResponseBody({
  body,
  truncated,
  html,
}: {
  body: string;
  truncated: boolean;
  html: boolean;
}) {
  const [view, setView] = useState<'rendered' | 'source'>(html ? 'rendered' : 'source');
  return (
    <div className="response-body">
      {html ? (
        <div className="segmented" role="radiogroup" aria-label="Response body">
          {(['rendered', 'source'] as const).map((v) => (
            <label key={v}>
              <input
                type="radio"
                name="response-body"
                checked={view === v}
                onChange={() => setView(v)}
              />{' '}
              {v}
            </label>
          ))}
        </div>
      ) : null}
      {view === 'rendered' ? (
        <iframe className="response-frame" title="Rendered response" sandbox="" srcDoc={body} />
      ) : (
        <pre className="body">
          {body}
          {truncated ? '\n… (cut)' : ''}
        </pre>
      )}
    </div>
  );
}
