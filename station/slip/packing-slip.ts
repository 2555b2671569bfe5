import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import bwipjs from 'bwip-js';
import PDFDocument from 'pdfkit';

/** What goes on a packing slip. Deliberately no PIN: the PIN reaches the employee only in Teams. */
export interface PackingSlip {
  requestId: string;
  jobId: string;
  recipient: { displayName: string; userPrincipalName: string; shippingAddress?: string };
  keySerial: number | undefined;
  keyModel: string;
  keyClass: string;
  stationId: string;
  preparedAt: Date;
}

/**
 * Writes the slip as an A4 PDF: who it is for and where it goes, the key's serial, and the request
 * id as a QR code and a Code 128 barcode, so the receiving desk can scan it.
 */
export async function writePackingSlip(path: string, slip: PackingSlip): Promise<void> {
  const [qr, barcode] = await Promise.all([
    bwipjs.toBuffer({ bcid: 'qrcode', text: slip.requestId, scale: 4 }),
    bwipjs.toBuffer({
      bcid: 'code128',
      text: slip.requestId,
      scale: 2,
      height: 12,
      includetext: true,
      textxalign: 'center',
    }),
  ]);
  await mkdir(dirname(path), { recursive: true });
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: {
      Title: `Packing slip ${slip.requestId}`,
      Author: 'Passkey Courier station',
      Subject: 'Security key shipment',
    },
  });
  const done = new Promise<void>((resolve, reject) => {
    const out = createWriteStream(path, { mode: 0o600 });
    out.on('finish', resolve);
    out.on('error', reject);
    doc.pipe(out);
  });
  doc.fontSize(20).text('Passkey Courier — packing slip', { underline: false });
  doc
    .moveDown(0.5)
    .fontSize(10)
    .fillColor('#555')
    .text(
      `Prepared ${slip.preparedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC at station ${slip.stationId}`,
    );
  doc.moveDown(1.2).fillColor('#000').fontSize(12).text('Ship to', { continued: false });
  doc.fontSize(14).text(slip.recipient.displayName);
  doc.fontSize(11).text(slip.recipient.userPrincipalName);
  doc.text(
    slip.recipient.shippingAddress ??
      '(no shipping address on the request: hand it over in person)',
  );
  doc.moveDown(1).fontSize(12).text('Contents');
  doc.fontSize(11).text(`1 × security key, ${slip.keyModel}`);
  doc.text(`Key serial: ${slip.keySerial ?? 'not readable (see the label on the key)'}`);
  doc.text(`Key class: ${slip.keyClass}`);
  doc.moveDown(1).fontSize(12).text('Request');
  doc.fontSize(11).text(`Request id: ${slip.requestId}`);
  doc.text(`Job id: ${slip.jobId}`);
  const y = doc.y + 12;
  doc.image(qr, 56, y, { width: 120 });
  doc.image(barcode, 200, y + 30, { width: 300 });
  doc.y = y + 140;
  doc
    .moveDown(1)
    .fontSize(10)
    .fillColor('#333')
    .text(
      'The key is already registered to the recipient. Its PIN is not in this parcel: the recipient confirms delivery in Teams with the last digits of the key serial and then sees the PIN once, and must change it at first use.',
      { width: 480 },
    );
  doc.end();
  await done;
}
