/** The Google Ads API version Tributary speaks: the one place to change it (with the google-ads-api major). */
export const GOOGLE_ADS_API_VERSION = 'v25';
