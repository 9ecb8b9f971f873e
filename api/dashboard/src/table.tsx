import type { ComponentChildren } from 'preact';

/**
 * A table with its caption and one row of column headings (`scope="col"`); the body is the
 * children (one tbody, or one per item when an item has more than one row). `scroll` puts it in a
 * box that scrolls sideways on a narrow screen; `hiddenCaption` keeps the caption for screen
 * readers only, where a heading above already says what the table is.
 */
export function Table(props: { class?: string; caption: string; hiddenCaption?: boolean; columns: readonly string[]; scroll?: boolean; children: ComponentChildren }) {
  const table = (
    <table class={props.class}>
      <caption class={props.hiddenCaption === true ? 'sr' : undefined}>{props.caption}</caption>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th scope="col">{c}</th>
          ))}
        </tr>
      </thead>
      {props.children}
    </table>
  );
  return props.scroll === true ? <div class="scroll">{table}</div> : table;
}

/** A body of plain rows: one row per item, one cell per value. */
export function PlainRows({ rows }: { rows: readonly ComponentChildren[][] }) {
  return (
    <tbody>
      {rows.map((cells) => (
        <tr>
          {cells.map((c) => (
            <td>{c}</td>
          ))}
        </tr>
      ))}
    </tbody>
  );
}

/**
 * A row's Actions cell: its buttons on one line at the top of the cell, then what the actions said
 * (`after`). The cell stays a table cell (styles.css), so every Actions cell starts where its column does.
 */
export function ActionsCell({ children, after }: { children: ComponentChildren; after?: ComponentChildren }) {
  return (
    <td class="actions">
      <div class="action-buttons">{children}</div>
      {after}
    </td>
  );
}

/**
 * A button of an Actions cell. With `confirm`, the browser asks that question first and the action
 * runs only on yes (for what stops a feed or a delivery for everyone).
 */
export function ActionButton(props: { label: string; onAction: () => Promise<void>; confirm?: string; class?: string; 'aria-label'?: string; disabled?: boolean }) {
  const run = (): void => {
    if (props.confirm !== undefined && !window.confirm(props.confirm)) return;
    void props.onAction();
  };
  return (
    <button type="button" class={props.class} onClick={run} disabled={props.disabled} aria-label={props['aria-label']}>
      {props.label}
    </button>
  );
}
