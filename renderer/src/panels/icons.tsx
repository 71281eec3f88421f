// Line icons drawn here (no icon font or emoji font needed on the user's machine).
const paths: Record<string, string> = {
  new: 'M6 2h8l4 4v16H6z M14 2v4h4',
  open: 'M3 6h6l2 2h10v12H3z',
  save: 'M4 3h13l3 3v15H4z M8 3v5h8V3 M8 21v-7h8v7',
  import: 'M3 5h18v14H3z M3 16l5-5 4 4 3-3 6 6 M15 9a1.5 1.5 0 1 0 0.01 0',
  delete: 'M4 6h16 M9 6V3h6v3 M6 6l1 15h10l1-15',
  duplicate: 'M8 8h12v12H8z M4 16V4h12',
  lock: 'M6 11h12v10H6z M8 11V7a4 4 0 0 1 8 0v4',
  unlock: 'M6 11h12v10H6z M8 11V7a4 4 0 0 1 8-1',
  eye: 'M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z M12 9a3 3 0 1 0 0.01 0',
  eyeOff: 'M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12z M4 4l16 16',
  image: 'M3 5h18v14H3z M3 16l5-5 4 4 3-3 6 6',
};

export function Icon({ name, size = 18 }: { name: keyof typeof paths | string; size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinejoin="round"
      strokeLinecap="round"
      aria-hidden
    >
      <path d={paths[name] ?? ''} />
    </svg>
  );
}
