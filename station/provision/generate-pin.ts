import { randomInt } from 'node:crypto';

/**
 * Why a PIN is trivial, or undefined when it is not. Digits only: a three-digit run up or down
 * (123, 987), the same digit twice in a row or four times in all, a repeated block (1212, 4545),
 * or a date in it (a year 1900-2099, or DDMM/MMDD).
 */
export function trivialPinReason(pin: string): string | undefined {
  if (!/^\d+$/.test(pin)) return 'not digits only';
  const d = [...pin].map(Number);
  for (let i = 2; i < d.length; i++) {
    const step = d[i - 1]! - d[i - 2]!;
    if ((step === 1 || step === -1) && d[i]! - d[i - 1]! === step) return 'a run of digits';
  }
  for (let i = 1; i < d.length; i++) if (d[i] === d[i - 1]) return 'a repeated digit';
  const counts = new Map<number, number>();
  for (const digit of d) counts.set(digit, (counts.get(digit) ?? 0) + 1);
  if ([...counts.values()].some((n) => n * 3 > d.length + 1)) return 'one digit too often';
  for (let size = 2; size <= d.length / 2; size++) {
    for (let i = 0; i + 2 * size <= d.length; i++) {
      if (pin.slice(i, i + size) === pin.slice(i + size, i + 2 * size)) return 'a repeated block';
    }
  }
  for (let i = 0; i + 4 <= pin.length; i++) {
    const four = pin.slice(i, i + 4);
    if (/^(19|20)\d\d$/.test(four)) return 'a year';
    const a = Number(four.slice(0, 2));
    const b = Number(four.slice(2));
    if ((isDay(a) && isMonth(b)) || (isMonth(a) && isDay(b))) return 'a day and month';
  }
  return undefined;
}

function isDay(n: number): boolean {
  return n >= 1 && n <= 31;
}

function isMonth(n: number): boolean {
  return n >= 1 && n <= 12;
}

/**
 * A random numeric PIN from the operating system's CSPRNG (crypto.randomInt, no modulo bias),
 * redrawn until it is not trivial. Digits, because the employee types it on whatever the key is
 * plugged into; long enough for the key's and the policy's minimum.
 */
export function generatePin(length: number): string {
  if (!Number.isInteger(length) || length < 6 || length > 63) {
    throw new RangeError(`A generated PIN is 6 to 63 digits, not ${length}.`);
  }
  for (;;) {
    let pin = '';
    for (let i = 0; i < length; i++) pin += String(randomInt(10));
    if (trivialPinReason(pin) === undefined) return pin;
  }
}
