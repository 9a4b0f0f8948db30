/**
 * The largest values the Kafka wire's int16, int32 and int64 fields carry
 * (int32 also bounds Node's timers, in milliseconds): the `max` of every
 * CLI flag, and the bound of every parsed value, that ends up in one. A
 * larger value is then refused when it is parsed, with a message naming
 * the flag, instead of failing inside an encoder (Node's "value is out of
 * range" RangeError) or a timer (TimeoutOverflowWarning, and a 1 ms
 * timeout).
 */
export const int16Max = 2 ** 15 - 1;
export const int32Max = 2 ** 31 - 1;
export const int64Max = 2n ** 63n - 1n;
