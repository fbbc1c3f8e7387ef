// googleapis/build/src/apis/analyticsadmin/index.js from the platform SDK layer (infra/lib/platform-sdk-layer.ts),
// loaded when first required
module.exports = require('tributary-platform-sdks/googleapis-analyticsadmin');
