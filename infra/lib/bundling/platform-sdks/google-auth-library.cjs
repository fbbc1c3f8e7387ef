// google-auth-library from the platform SDK layer (infra/lib/platform-sdk-layer.ts), loaded by the first Google token call
module.exports = require('tributary-platform-sdks/google-auth-library');
