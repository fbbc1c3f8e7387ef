// @odata/parser from the platform SDK layer (infra/lib/platform-sdk-layer.ts), loaded by the first OData feed request
module.exports = require('tributary-platform-sdks/odata-parser');
