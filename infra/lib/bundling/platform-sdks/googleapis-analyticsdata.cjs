// googleapis/build/src/apis/analyticsdata/index.js from the platform SDK layer (infra/lib/platform-sdk-layer.ts),
// loaded when first required
module.exports = require('tributary-platform-sdks/googleapis-analyticsdata');
