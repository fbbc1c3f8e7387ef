// exceljs from the platform SDK layer (infra/lib/platform-sdk-layer.ts), loaded by the first XLSX download
module.exports = require('tributary-platform-sdks/exceljs');
