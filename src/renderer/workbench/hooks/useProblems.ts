/**
 * Problems as you type: a debounced compile check of the active file (after the preview, which
 * the user watches, has run) and the preview's runtime error, both as editor markers.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { LocatedProblem } from '../../../common/api.js';
import type { ApiClient } from '../../../common/rpc.js';
import { debounce } from '../../base/debounce.js';
import { setProblems } from '../../editor/markers.js';
import type { Documents } from '../documents.js';
import type { PreviewQueue } from '../PreviewPane.js';
import { mergeProblems, sameProblems } from '../problems.js';

// Later than the preview, and only once no preview runs or waits: both use the worker pool (and
// this window's main thread), and the preview is what the user watches.
const COMPILE_DEBOUNCE_MS = 250;

export function useProblems(
  api: ApiClient,
  docs: Documents,
  previews: PreviewQueue,
  fail: (message: string) => void,
) {
  const [compileProblems, setCompileProblems] = useState<Record<string, LocatedProblem[]>>({});
  const [runtimeProblems, setRuntimeProblems] = useState<LocatedProblem[]>([]);
  const runtimeRef = useRef<LocatedProblem[]>([]);

  const check = useMemo(
    () =>
      debounce((path: string) => {
        const doc = docs.get(path);
        if (!doc) return;
        const version = doc.model.getVersionId();
        void previews.whenIdle().then(() => {
          // typed on meanwhile: that edit scheduled its own check
          if (doc.model.isDisposed() || doc.model.getVersionId() !== version) return;
          api.compileCheck(path, doc.model.getValue()).then(
            (problems) => {
              if (doc.model.isDisposed() || doc.model.getVersionId() !== version) return;
              setProblems(
                doc.model,
                'pse-compile',
                problems.filter((p) => p.file === path),
              );
              setCompileProblems((all) =>
                sameProblems(all[path], problems) ? all : { ...all, [path]: problems },
              );
            },
            (e: Error) => fail(e.message),
          );
        });
      }, COMPILE_DEBOUNCE_MS),
    [api, docs, previews, fail],
  );

  const onRuntimeProblems = useCallback(
    (problems: LocatedProblem[]) => {
      // the same problems again (mostly none): no re-render of the workbench
      if (sameProblems(runtimeRef.current, problems)) return;
      runtimeRef.current = problems;
      setRuntimeProblems(problems);
      for (const doc of docs.all())
        setProblems(
          doc.model,
          'pse-runtime',
          problems.filter((p) => p.file === doc.path),
        );
    },
    [docs],
  );

  const problems = useMemo(
    () => mergeProblems(compileProblems, runtimeProblems),
    [compileProblems, runtimeProblems],
  );
  return { problems, check, onRuntimeProblems };
}

/** Re-checks the active file on every edit; `editVersion` grows on every edit of any document. */
export function useEditVersion(
  docs: Documents,
  active: string | undefined,
  check: (p: string) => void,
) {
  const [editVersion, setEditVersion] = useState(0);
  useEffect(() => {
    const off = docs.onDidChange(() => {
      setEditVersion((v) => v + 1);
      if (active) check(active);
    });
    return () => {
      off();
    };
  }, [docs, active, check]);
  return editVersion;
}
