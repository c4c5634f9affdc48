import type { ComponentChildren } from 'preact';

/** A page's title with its Refresh button and the page's own actions (e.g. "Rotate…"). */
export function PageHead({ title, onRefresh, children }: { title: string; onRefresh: () => void; children?: ComponentChildren }) {
  return (
    <div class="page-head">
      <h1>{title}</h1>
      <span class="page-actions">
        <button type="button" onClick={onRefresh}>
          Refresh
        </button>
        {children}
      </span>
    </div>
  );
}

/** What the last change did, announced to screen readers as a status. */
export function DoneNotice({ message }: { message: string | undefined }) {
  return message === undefined ? null : (
    <p class="done" role="status">
      {message}
    </p>
  );
}

/** Shown while a page's first answer is on its way. */
export function Loading({ when }: { when: boolean }) {
  return when ? <p aria-busy="true">Loading…</p> : null;
}
