// Google Ads' platform SDK (google-ads-api and its generated protos, most of a pipeline bundle): imported
// by the connector on its first platform call only (runtime/platform-sdk.ts).
export { createGoogleAdsClient } from './google-ads-client';
