// A CommonJS callback-style handler.
exports.handler = function (event, _context, callback) {
  setTimeout(() => callback(null, { callback: true, event }), 1);
};
