// Amazon Ads sends ids as JSON numbers of 15 digits and more (profileId, campaignId, adGroupId, ...):
// JSON.parse would turn one past 2^53 into the nearest double, a different id. Before parsing, every number
// that is the value of a key ending in "Id" is quoted, so ids arrive as the exact digits Amazon sent; an id
// that already is a string passes unchanged. Only a key position can match: inside a JSON string a quote is
// escaped, so `"…Id":` followed by a digit is always a real key. Metrics stay numbers (normalize reads them).
const ID_NUMBER = /"(\w*Id)"(\s*):(\s*)(-?\d+)(?=\s*[,}\]])/g;

/** JSON.parse with every `…Id` number kept as a string of its digits. */
export function parseAmazonJson(text: string): unknown {
  return JSON.parse(text.replace(ID_NUMBER, '"$1"$2:$3"$4"'));
}
