/**
 * Transparent huge pages for what glibc's malloc maps (glibc 2.35 or newer), where the typed
 * arrays of the session state live: the value the project's scripts put in GLIBC_TUNABLES
 * (README.md, "Huge pages"). glibc reads it once, as the process starts.
 */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

const NAME = 'glibc.malloc.hugetlb';

/** Whether a GLIBC_TUNABLES value has malloc use huge pages (1: advised, 2: hugetlbfs). */
export function hugePagesAdvised(tunables: string | undefined): boolean {
  return split(tunables).some((t) => t === `${NAME}=1` || t === `${NAME}=2`);
}

/** A GLIBC_TUNABLES value with the huge-page tunable set (`on`) or taken out, others kept. */
export function withHugePages(tunables: string | undefined, on: boolean): string {
  const others = split(tunables).filter((t) => !t.startsWith(`${NAME}=`));
  return (on ? [...others, HUGE_PAGES_TUNABLE] : others).join(':');
}

function split(tunables: string | undefined): string[] {
  return (tunables ?? '').split(':').filter((t) => t !== '');
}

/**
 * What to tell an operator at start-up when a Linux process runs without the tunable (undefined
 * when it has it, or elsewhere, where it means nothing).
 */
export function hugePagesHint(platform: string, advised: boolean): string | undefined {
  if (platform !== 'linux' || advised) return undefined;
  return (
    `session state is on 4 KiB pages: start Pathcast with GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE} ` +
    `(as npm run pathcast does) for transparent huge pages, faster at many open sessions`
  );
}
