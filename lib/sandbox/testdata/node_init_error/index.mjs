// Fails while loading, so Init reports the error through /runtime/init/error.
throw new RangeError("broken at import");
