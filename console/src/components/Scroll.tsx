import type { ReactNode } from 'react';

/** A wide table scrolls sideways inside this box on a phone; the box takes focus, so the keyboard can scroll it. */
export function Scroll({ children }: { children: ReactNode }) {
  return (
    <div className="table-scroll" tabIndex={0}>
      {children}
    </div>
  );
}
