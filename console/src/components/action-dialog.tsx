import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiProblem } from '../api/admin-client.js';
import { asProblem } from '../use-load.js';
import { ProblemNotice } from './problem-notice.js';

export interface ActionDialogProps {
  title: string;
  /** What will happen, in words, before anything is sent. */
  consequence: ComponentChildren;
  confirmLabel: string;
  /** Runs the change; its refusal stays in the dialog, its success closes it. */
  onConfirm: () => Promise<void>;
  onClose: () => void;
  /** Inputs the change needs (a reason, a date), inside the dialog's form. */
  children?: ComponentChildren;
  destructive?: boolean;
}

/**
 * Every change goes through one of these: a modal <dialog> (focus kept inside, Escape cancels) that
 * says what will happen, asks for what the change needs, and sends it only on confirmation.
 */
export function ActionDialog(props: ActionDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | undefined>();
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      await props.onConfirm();
      // Closing fires the dialog's close event, which tells the page (onClose).
      dialog.current?.close();
    } catch (error) {
      setProblem(asProblem(error));
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} class="action-dialog" aria-labelledby="action-dialog-title" onClose={props.onClose}>
      <form onSubmit={(event) => void submit(event)}>
        <h2 id="action-dialog-title">{props.title}</h2>
        <div class="consequence">{props.consequence}</div>
        {props.children}
        <ProblemNotice problem={problem} />
        <div class="dialog-buttons">
          <button type="button" onClick={() => dialog.current?.close()} disabled={busy}>
            Cancel
          </button>
          <button type="submit" class={props.destructive ? 'danger' : 'primary'} disabled={busy}>
            {busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
