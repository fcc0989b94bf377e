/**
 * Ad platforms' click ids and the source / medium they stand for when the link carries no UTM
 * tags. Earlier entries win when a URL carries several.
 */
export interface ClickIdRule {
  /** The query parameter, spelled as the platform spells it (matched case-insensitively). */
  readonly param: string;
  readonly source: string;
  readonly medium: string;
}

export const CLICK_IDS: readonly ClickIdRule[] = [
  // Google Ads auto-tagging; gbraid / wbraid replace gclid for iOS app and web campaigns.
  { param: 'gclid', source: 'google', medium: 'cpc' },
  { param: 'gbraid', source: 'google', medium: 'cpc' },
  { param: 'wbraid', source: 'google', medium: 'cpc' },
  // Campaign Manager 360 / Display & Video 360: display ads. `dfa` is on no search list, so the
  // cpm medium lands in Display rather than Paid Search.
  { param: 'dclid', source: 'dfa', medium: 'cpm' },
  { param: 'msclkid', source: 'bing', medium: 'cpc' },
  { param: 'yclid', source: 'yandex', medium: 'cpc' },
  { param: 'ttclid', source: 'tiktok', medium: 'cpc' },
  { param: 'li_fat_id', source: 'linkedin', medium: 'cpc' },
  { param: 'twclid', source: 'twitter', medium: 'cpc' },
  { param: 'ScCid', source: 'snapchat', medium: 'cpc' },
  { param: 'epik', source: 'pinterest', medium: 'cpc' },
  { param: 'rdt_cid', source: 'reddit', medium: 'cpc' },
  // TRICKY: Facebook and Instagram append fbclid to every outbound link, organic posts and shares
  // included, so on its own it proves a Meta click, not a paid one (Meta ads that matter carry
  // UTM tags). Organic by default; ChannelOptions.fbclid = 'paid' flips it.
  { param: 'fbclid', source: 'facebook', medium: 'social' },
];
