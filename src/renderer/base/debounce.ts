/** Calls `fn` once `ms` after the last call; `flush` runs a pending call now. */
export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: A | undefined;
  const run = (): void => {
    timer = undefined;
    if (last) {
      const args = last;
      last = undefined;
      fn(...args);
    }
  };
  return {
    call(...args: A): void {
      last = args;
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(run, ms);
    },
    flush(): void {
      if (timer !== undefined) clearTimeout(timer);
      run();
    },
    cancel(): void {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      last = undefined;
    },
  };
}
