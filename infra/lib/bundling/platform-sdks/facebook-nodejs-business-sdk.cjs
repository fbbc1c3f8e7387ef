// facebook-nodejs-business-sdk from the platform SDK layer (infra/lib/platform-sdk-layer.ts), loaded when first
// required
module.exports = require('tributary-platform-sdks/facebook-nodejs-business-sdk');
