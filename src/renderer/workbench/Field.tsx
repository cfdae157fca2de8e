/**
 * A text input checked when committed (Enter or leaving it), with the message beside it. Once
 * shown, the message follows the typing and goes away as soon as the value is right.
 */
import { useId, useState, type InputHTMLAttributes } from 'react';

interface Props extends Omit<InputHTMLAttributes<HTMLInputElement>, 'onChange' | 'value'> {
  value: string;
  onChange(value: string): void;
  /** null when the value is acceptable, else what is wrong with it */
  validate(value: string): string | null;
  /** the value was committed and is valid */
  onCommit?(value: string): void;
}

export function Field({ value, onChange, validate, onCommit, className, ...rest }: Props) {
  const [message, setMessage] = useState<string | null>(null);
  const id = useId();
  const commit = (): void => {
    const problem = validate(value);
    setMessage(problem);
    if (!problem) onCommit?.(value);
  };
  return (
    <span className={`field ${message ? 'invalid' : ''}`}>
      <input
        {...rest}
        className={className}
        value={value}
        aria-invalid={message ? true : undefined}
        aria-describedby={message ? id : undefined}
        onChange={(e) => {
          onChange(e.target.value);
          if (message) setMessage(validate(e.target.value));
        }}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
        }}
      />
      {message ? (
        <span className="field-message" id={id} role="alert">
          {message}
        </span>
      ) : null}
    </span>
  );
}
