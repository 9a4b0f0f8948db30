/**
 * The largest values the Kafka wire's int16, int32 and int64 fields carry
 * (int32 also bounds Node's timers, in milliseconds). Whatever a user gives
 * that ends up in one is checked against these where it is parsed (CLI
 * flags' `max`, offset specs, INT and LONG configs), so a larger value is
 * refused with a message naming it, instead of failing inside an encoder
 * (Node's "value is out of range" RangeError) or a timer
 * (TimeoutOverflowWarning, and a 1 ms timeout).
 */
export const int16Max = 2 ** 15 - 1;
export const int32Max = 2 ** 31 - 1;
export const int64Max = 2n ** 63n - 1n;
