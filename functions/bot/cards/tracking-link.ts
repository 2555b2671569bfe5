/** Carriers' public tracking pages, by the names stations record (case and spaces ignored). */
const TRACKING_PAGES: Record<string, string> = {
  postnord: 'https://www.postnord.se/en/our-tools/track-and-trace?shipmentId=',
  dhl: 'https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id=',
  ups: 'https://www.ups.com/track?tracknum=',
  fedex: 'https://www.fedex.com/fedextrack/?trknbr=',
  dpd: 'https://tracking.dpd.de/status/en_US/parcel/',
  gls: 'https://gls-group.com/track/',
};

/** The tracking page for a shipment, when the carrier is one we know; else undefined. */
export function trackingLink(carrier: string | undefined, trackingNumber: string | undefined) {
  if (!carrier || !trackingNumber) return undefined;
  const page = TRACKING_PAGES[carrier.toLowerCase().replace(/[^a-z]/g, '')];
  return page ? `${page}${encodeURIComponent(trackingNumber)}` : undefined;
}
