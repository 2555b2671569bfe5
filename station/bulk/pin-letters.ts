import PDFDocument from 'pdfkit';
import * as openpgp from 'openpgp';
import { CourierError } from '../../core/courier-error.ts';

export class PinLetterError extends CourierError<'LETTERS_KEY' | 'LETTERS_DECRYPT'> {}

/** One sealed letter: who it goes to and the key's PIN. */
export interface PinLetter {
  displayName: string;
  userPrincipalName: string;
  shippingAddress?: string;
  keySerial: number | undefined;
  pin: string;
}

const MM = 72 / 25.4;

/**
 * The PIN letters as one PDF, one A4 page per user, laid out for DIN 5008 window envelopes (DL
 * or C5/6, window 20 mm from the left and 45 mm from the top): only the address shows through the
 * window; the PIN sits in the middle third, behind the fold, never visible from outside. Built in
 * memory: the caller encrypts it before anything reaches the disk.
 */
export async function renderPinLetters(letters: readonly PinLetter[], at: Date): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 20 * MM,
    autoFirstPage: false,
    info: { Title: 'PIN letters', Author: 'Passkey Courier station' },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const letter of letters) {
    doc.addPage();
    doc
      .fontSize(8)
      .fillColor('#555')
      .text('Passkey Courier · IT', 20 * MM, 40 * MM);
    // The window: 20 mm from the left, 45 mm from the top, 85 × 45 mm.
    doc
      .fillColor('#000')
      .fontSize(11)
      .text(
        [letter.displayName, ...(letter.shippingAddress ?? '').split(/,\s*|\n/)]
          .filter((line) => line.trim() !== '')
          .join('\n'),
        20 * MM,
        50 * MM,
        { width: 85 * MM, height: 40 * MM },
      );
    // Below the first fold (DIN 5008 form B: 105 mm), so nothing shows through the window.
    doc.fontSize(12).text('Your security key PIN', 25 * MM, 115 * MM);
    doc
      .fontSize(10)
      .text(`For ${letter.userPrincipalName}, key ${letter.keySerial ?? '(see the key)'}`);
    doc.moveDown(0.8).fontSize(28).text(`PIN: ${letter.pin}`, { characterSpacing: 4 });
    doc
      .moveDown(0.8)
      .fontSize(10)
      .text(
        'Your key asks for a new PIN the first time you use it: enter this PIN, then choose your own. ' +
          'Destroy this letter afterwards. Never share the PIN, not even with IT.',
        { width: 160 * MM },
      );
    doc
      .fontSize(8)
      .fillColor('#555')
      .text(
        `Printed from a sealed batch prepared ${at.toISOString().slice(0, 10)}.`,
        25 * MM,
        270 * MM,
      );
  }
  doc.end();
  return done;
}

/** Encrypts the letters PDF to the IT admin's OpenPGP public key (ASCII-armored message). */
export async function sealPinLetters(pdf: Uint8Array, publicKeyArmored: string): Promise<string> {
  let encryptionKeys: openpgp.PublicKey;
  try {
    encryptionKeys = await openpgp.readKey({ armoredKey: publicKeyArmored });
  } catch (cause) {
    throw new PinLetterError(
      'LETTERS_KEY',
      '--letters-key must be an ASCII-armored OpenPGP public key (gpg --armor --export ADMIN).',
      { cause },
    );
  }
  if (encryptionKeys.isPrivate()) {
    throw new PinLetterError(
      'LETTERS_KEY',
      '--letters-key is a private key: give the IT admin’s PUBLIC key (gpg --armor --export ADMIN).',
    );
  }
  const message = await openpgp.createMessage({ binary: pdf, format: 'binary' });
  // openpgp's overloads defeat the type checker here; armored output is a string.
  return (await openpgp.encrypt({ message, encryptionKeys, format: 'armored' })) as string;
}

/** Decrypts sealed letters in memory with the IT admin's private key; the PDF never hits the disk. */
export async function openPinLetters(
  armoredMessage: string,
  privateKeyArmored: string,
  passphrase?: string,
): Promise<Uint8Array> {
  try {
    let decryptionKeys = await openpgp.readPrivateKey({ armoredKey: privateKeyArmored });
    if (!decryptionKeys.isDecrypted()) {
      if (passphrase === undefined) {
        throw new PinLetterError(
          'LETTERS_KEY',
          'The private key is protected by a passphrase: set it in the environment variable named by --passphrase-env.',
        );
      }
      decryptionKeys = await openpgp.decryptKey({ privateKey: decryptionKeys, passphrase });
    }
    const message = await openpgp.readMessage({ armoredMessage });
    const decrypted: { data: Uint8Array } = await openpgp.decrypt({
      message,
      decryptionKeys,
      format: 'binary',
    });
    return decrypted.data;
  } catch (cause) {
    if (cause instanceof PinLetterError) throw cause;
    throw new PinLetterError(
      'LETTERS_DECRYPT',
      `The letters cannot be opened with this key: ${(cause as Error).message}`,
      { cause },
    );
  }
}
