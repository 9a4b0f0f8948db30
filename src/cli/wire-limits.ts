/**
 * The largest values the Kafka wire's int16 and int32 fields carry, and so
 * Node's timers (int32 milliseconds): the `max` of every CLI flag whose
 * value ends up in one. A larger value is then refused when the flags are
 * parsed, with a message naming the flag, instead of failing inside an
 * encoder (Node's "value is out of range" RangeError) or a timer
 * (TimeoutOverflowWarning, and a 1 ms timeout).
 */
export const int16Max = 2 ** 15 - 1;
export const int32Max = 2 ** 31 - 1;
