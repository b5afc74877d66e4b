/*  crmq_event_json.c - protobuf messages as JSON; see crmq_event_json.h.  */
#include "crmq.h"
#include "crmq_event_json.h"
#include "selftest.pb-c.h"

#include <math.h>

//  Where a conversion keeps its first error.
typedef struct {
    char *error;
    size_t error_size;
    bool failed;
} s_context_t;

static json_t *s_message (const ProtobufCMessage *message, s_context_t *context);

//  Records the first error: "TYPE.FIELD: reason".
static void
s_fail (s_context_t *context, const ProtobufCMessageDescriptor *descriptor,
        const ProtobufCFieldDescriptor *field, const char *reason)
{
    if (context->failed)
        return;
    context->failed = true;
    if (context->error && context->error_size)
        snprintf (context->error, context->error_size, "%s%s%s: %s", descriptor->name,
                  field? ".": "", field? field->name: "", reason);
}

//  Bytes one element of a repeated field of `type` takes in its array.
static size_t
s_element_size (ProtobufCType type)
{
    switch (type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            return sizeof (int32_t);
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            return sizeof (int64_t);
        case PROTOBUF_C_TYPE_FLOAT:
            return sizeof (float);
        case PROTOBUF_C_TYPE_DOUBLE:
            return sizeof (double);
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_ENUM:
            return sizeof (int);
        case PROTOBUF_C_TYPE_STRING:
            return sizeof (char *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (ProtobufCMessage *);
    }
    return 0;
}

//  A double as JSON: a number, or the string protobuf's JSON mapping uses
//  for values JSON has no number for.
static json_t *
s_real (double value)
{
    if (isnan (value))
        return json_string ("NaN");
    if (isinf (value))
        return json_string (value > 0? "Infinity": "-Infinity");
    return json_real (value);
}

json_t *
crmq_bytes_json (const uint8_t *data, size_t size)
{
    if (size == 0)
        return json_string ("");
    zarmour_t *armour = zarmour_new ();
    if (!armour)
        return NULL;
    zarmour_set_mode (armour, ZARMOUR_MODE_BASE64_STD);
    zarmour_set_pad (armour, true);
    zarmour_set_line_breaks (armour, false);
    char *text = zarmour_encode (armour, data, size);
    zarmour_destroy (&armour);
    json_t *value = text? json_string (text): NULL;
    zstr_free (&text);
    return value;
}

//  crmq.Money as {"currency", "amount"}, crmq.Decimal as a string; NULL
//  (error recorded, naming `field` of `parent` when given) when malformed.
static json_t *
s_exact (const ProtobufCMessage *message, const ProtobufCMessageDescriptor *parent,
         const ProtobufCFieldDescriptor *field, s_context_t *context)
{
    char text [48];
    if (message->descriptor == &crmq__decimal__descriptor) {
        const Crmq__Decimal *decimal = (const Crmq__Decimal *) message;
        if (crmq_decimal_format (decimal->units, decimal->nanos, text, sizeof text) < 0) {
            s_fail (context, parent? parent: message->descriptor, field,
                    "crmq.Decimal: units and nanos do not make a decimal");
            return NULL;
        }
        return json_string (text);
    }
    const Crmq__Money *money = (const Crmq__Money *) message;
    if (crmq_money_text (money->units, money->nanos, text, sizeof text) < 0) {
        s_fail (context, parent? parent: message->descriptor, field,
                "crmq.Money: units and nanos do not make an amount");
        return NULL;
    }
    return json_pack ("{s:s, s:s}", "currency", money->currency? money->currency: "",
                      "amount", text);
}

//  Reads an integer field of `type` at `member`: returns 1 with *value set
//  for the signed types and the 32-bit unsigned ones, 2 with *big set for
//  the 64-bit unsigned ones, 0 when `type` is not an integer type.
static int
s_integer (ProtobufCType type, const void *member, int64_t *value, uint64_t *big)
{
    switch (type) {
        case PROTOBUF_C_TYPE_INT32:
        case PROTOBUF_C_TYPE_SINT32:
        case PROTOBUF_C_TYPE_SFIXED32: {
            int32_t number;
            memcpy (&number, member, sizeof number);
            *value = number;
            return 1;
        }
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32: {
            uint32_t number;
            memcpy (&number, member, sizeof number);
            *value = number;
            return 1;
        }
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            memcpy (value, member, sizeof *value);
            return 1;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            memcpy (big, member, sizeof *big);
            return 2;
        default:
            return 0;
    }
}

//  One value of `field` of `descriptor`'s message, stored at `member` (the
//  field itself, or one element of its array).  NULL after an error.
static json_t *
s_value (const ProtobufCMessageDescriptor *descriptor, const ProtobufCFieldDescriptor *field,
         const void *member, s_context_t *context)
{
    json_t *value = NULL;
    int64_t integer;
    uint64_t big;
    int kind = s_integer (field->type, member, &integer, &big);
    if (kind == 1)
        value = json_integer ((json_int_t) integer);
    else
    if (kind == 2 && big <= (uint64_t) INT64_MAX)
        value = json_integer ((json_int_t) big);
    else
    if (kind == 2) {
        char text [24];
        snprintf (text, sizeof text, "%" PRIu64, big);
        value = json_string (text);
    }
    else
    switch (field->type) {
        default:
            break;                  //  the integers, above
        case PROTOBUF_C_TYPE_FLOAT: {
            float number;
            memcpy (&number, member, sizeof number);
            value = s_real (number);
            break;
        }
        case PROTOBUF_C_TYPE_DOUBLE: {
            double number;
            memcpy (&number, member, sizeof number);
            value = s_real (number);
            break;
        }
        case PROTOBUF_C_TYPE_BOOL: {
            protobuf_c_boolean flag;
            memcpy (&flag, member, sizeof flag);
            value = json_boolean (flag);
            break;
        }
        case PROTOBUF_C_TYPE_ENUM: {
            int number;
            memcpy (&number, member, sizeof number);
            const ProtobufCEnumValue *named = protobuf_c_enum_descriptor_get_value (
                (const ProtobufCEnumDescriptor *) field->descriptor, number);
            value = named? json_string (named->name): json_integer (number);
            break;
        }
        case PROTOBUF_C_TYPE_STRING: {
            const char *text = *(const char *const *) member;
            value = json_string (text? text: "");
            if (!value) {
                s_fail (context, descriptor, field, "the text is not UTF-8");
                return NULL;
            }
            break;
        }
        case PROTOBUF_C_TYPE_BYTES: {
            ProtobufCBinaryData data;
            memcpy (&data, member, sizeof data);
            value = crmq_bytes_json (data.data, data.len);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            const ProtobufCMessage *inner = *(const ProtobufCMessage *const *) member;
            if (!inner)
                return json_null ();
            if (inner->descriptor == &crmq__money__descriptor
            ||  inner->descriptor == &crmq__decimal__descriptor)
                return s_exact (inner, descriptor, field, context);
            return s_message (inner, context);
        }
    }
    if (!value)
        s_fail (context, descriptor, field, "out of memory");
    return value;
}

//  True when `field` is a map: a repeated field of the entry type protoc
//  makes for map<K, V> (PARENT.NameEntry, nested in the field's message,
//  whose name no other nested type may take), with fields key = 1 and
//  value = 2.
static bool
s_is_map (const ProtobufCMessageDescriptor *descriptor, const ProtobufCFieldDescriptor *field)
{
    if (field->label != PROTOBUF_C_LABEL_REPEATED || field->type != PROTOBUF_C_TYPE_MESSAGE)
        return false;
    const ProtobufCMessageDescriptor *entry =
        (const ProtobufCMessageDescriptor *) field->descriptor;
    if (entry->n_fields != 2 || entry->fields [0].id != 1 || entry->fields [1].id != 2
    ||  !streq (entry->fields [0].name, "key") || !streq (entry->fields [1].name, "value"))
        return false;
    //  the entry's name: the field's name in CamelCase + "Entry"
    char expected [256];
    size_t length = 0;
    bool upper = true;
    for (const char *c = field->name; *c && length + 8 < sizeof expected; c++) {
        if (*c == '_') {
            upper = true;
            continue;
        }
        expected [length++] = upper && *c >= 'a' && *c <= 'z'? (char) (*c - 'a' + 'A'): *c;
        upper = *c >= '0' && *c <= '9';
    }
    memcpy (expected + length, "Entry", 6);
    size_t parent = strlen (descriptor->name);
    return strncmp (entry->name, descriptor->name, parent) == 0
        && entry->name [parent] == '.'
        && streq (entry->name + parent + 1, expected);
}

//  A map entry's key as object key text into buf.  Returns 0, or -1 when
//  it is not a key type (cannot be, for protoc's entries) or not UTF-8.
static int
s_key_text (const ProtobufCMessage *entry, char *buf, size_t size, const char **key)
{
    const ProtobufCFieldDescriptor *field = &entry->descriptor->fields [0];
    const void *member = (const uint8_t *) entry + field->offset;
    *key = buf;
    if (field->type == PROTOBUF_C_TYPE_STRING) {
        *key = *(const char *const *) member;
        if (!*key)
            *key = "";
        return 0;
    }
    if (field->type == PROTOBUF_C_TYPE_BOOL) {
        protobuf_c_boolean flag;
        memcpy (&flag, member, sizeof flag);
        *key = flag? "true": "false";
        return 0;
    }
    int64_t integer;
    uint64_t big;
    int kind = s_integer (field->type, member, &integer, &big);
    if (kind == 1)
        snprintf (buf, size, "%" PRId64, integer);
    else
    if (kind == 2)
        snprintf (buf, size, "%" PRIu64, big);
    return kind? 0: -1;
}

//  A map field (`count` entries) as a JSON object.  NULL after an error.
static json_t *
s_map (const ProtobufCMessageDescriptor *descriptor, const ProtobufCFieldDescriptor *field,
       const ProtobufCMessage *const *entries, size_t count, s_context_t *context)
{
    json_t *object = json_object ();
    for (size_t i = 0; object && i < count; i++) {
        const ProtobufCMessage *entry = entries [i];
        const ProtobufCFieldDescriptor *value_field = &entry->descriptor->fields [1];
        char buf [24];
        const char *key;
        if (s_key_text (entry, buf, sizeof buf, &key) != 0) {
            s_fail (context, descriptor, field, "the map's key is not a key type");
            json_decref (object);
            return NULL;
        }
        json_t *value = s_value (entry->descriptor, value_field,
                                 (const uint8_t *) entry + value_field->offset, context);
        if (!value || json_object_set_new (object, key, value) != 0) {
            s_fail (context, descriptor, field, value? "the map's key is not UTF-8": "no value");
            json_decref (object);
            return NULL;
        }
    }
    if (!object)
        s_fail (context, descriptor, field, "out of memory");
    return object;
}

//  A repeated field as an array (or an object, for a map).  NULL after an
//  error.
static json_t *
s_repeated (const ProtobufCMessage *message, const ProtobufCFieldDescriptor *field,
            s_context_t *context)
{
    const uint8_t *base = (const uint8_t *) message;
    size_t count;
    memcpy (&count, base + field->quantifier_offset, sizeof count);
    const uint8_t *items = *(const uint8_t *const *) (base + field->offset);
    if (s_is_map (message->descriptor, field))
        return s_map (message->descriptor, field,
                      (const ProtobufCMessage *const *) items, count, context);
    json_t *array = json_array ();
    size_t step = s_element_size (field->type);
    for (size_t i = 0; array && i < count; i++) {
        json_t *value = s_value (message->descriptor, field, items + i * step, context);
        if (!value || json_array_append_new (array, value) != 0) {
            json_decref (array);
            return NULL;
        }
    }
    if (!array)
        s_fail (context, message->descriptor, field, "out of memory");
    return array;
}

//  True when `field` (not repeated) has a value to show: the member set of
//  a oneof, and the fields of proto2's `optional` that were given; proto3's
//  plain fields always.
static bool
s_present (const ProtobufCMessage *message, const ProtobufCFieldDescriptor *field)
{
    const uint8_t *base = (const uint8_t *) message;
    if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t chosen;
        memcpy (&chosen, base + field->quantifier_offset, sizeof chosen);
        return chosen == field->id;
    }
    if (field->label != PROTOBUF_C_LABEL_OPTIONAL)
        return true;
    if (field->type == PROTOBUF_C_TYPE_STRING || field->type == PROTOBUF_C_TYPE_MESSAGE) {
        const void *pointer = *(const void *const *) (base + field->offset);
        return pointer != NULL && pointer != field->default_value;
    }
    protobuf_c_boolean has;
    memcpy (&has, base + field->quantifier_offset, sizeof has);
    return has;
}

static json_t *
s_message (const ProtobufCMessage *message, s_context_t *context)
{
    const ProtobufCMessageDescriptor *descriptor = message->descriptor;
    if (descriptor == &crmq__money__descriptor || descriptor == &crmq__decimal__descriptor)
        return s_exact (message, NULL, NULL, context);
    json_t *object = json_object ();
    if (!object) {
        s_fail (context, descriptor, NULL, "out of memory");
        return NULL;
    }
    //  protobuf-c keeps the fields in the order of their numbers
    for (unsigned i = 0; i < descriptor->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &descriptor->fields [i];
        json_t *value;
        if (field->label == PROTOBUF_C_LABEL_REPEATED)
            value = s_repeated (message, field, context);
        else
        if (!s_present (message, field))
            continue;
        else
            value = s_value (descriptor, field, (const uint8_t *) message + field->offset,
                             context);
        if (!value || json_object_set_new (object, field->name, value) != 0) {
            s_fail (context, descriptor, field, "out of memory");
            json_decref (object);
            return NULL;
        }
    }
    return object;
}

json_t *
crmq_message_json (const ProtobufCMessage *message, char *error, size_t error_size)
{
    s_context_t context = { error, error_size, false };
    if (error && error_size)
        *error = 0;
    return s_message (message, &context);
}

json_t *
crmq_event_json (const ProtobufCMessageDescriptor *descriptor,
                 const uint8_t *body, size_t size, char *error, size_t error_size)
{
    ProtobufCMessage *message = crmq_message_unpack (descriptor, body, size);
    if (!message) {
        if (error && error_size)
            snprintf (error, error_size,
                      "%zu bytes are not a %s (bad encoding, or a string with a NUL byte)",
                      size, descriptor->name);
        return NULL;
    }
    json_t *json = crmq_message_json (message, error, error_size);
    crmq_message_free (message);
    return json;
}

int
crmq_money_text (int64_t units, int32_t nanos, char *buf, size_t size)
{
    int length = crmq_decimal_format (units, nanos, buf, size);
    if (length < 0)
        return -1;
    const char *point = strchr (buf, '.');
    int wanted = point? 2 - (int) (buf + length - point - 1): 3;
    if (wanted <= 0)
        return length;
    if ((size_t) (length + wanted) >= size)
        return -1;
    if (!point)
        buf [length++] = '.', wanted--;
    while (wanted-- > 0)
        buf [length++] = '0';
    buf [length] = 0;
    return length;
}

//  --------------------------------------------------------------------------
//  Self-test

//  Packs `message`, converts it back through crmq_event_json and returns the
//  compact JSON text (caller frees), or NULL with `error` set.
static char *
s_test_convert (const ProtobufCMessage *message, char *error, size_t error_size)
{
    size_t size = protobuf_c_message_get_packed_size (message);
    uint8_t *packed = (uint8_t *) malloc (size + 1);
    assert (packed);
    protobuf_c_message_pack (message, packed);
    json_t *json = crmq_event_json (message->descriptor, packed, size, error, error_size);
    free (packed);
    char *text = json? json_dumps (json, JSON_COMPACT): NULL;
    json_decref (json);
    return text;
}

//  Asserts that `message` converts to exactly `expected`.
static void
s_test_expect (const ProtobufCMessage *message, const char *expected, bool verbose)
{
    char error [256];
    char *text = s_test_convert (message, error, sizeof error);
    if (verbose || !text || !streq (text, expected))
        printf ("\n   got      %s\n   expected %s\n", text? text: error, expected);
    assert (text && streq (text, expected));
    free (text);
}

void
crmq_event_json_test (bool verbose)
{
    printf (" * crmq_event_json: ");
    if (verbose)
        printf ("\n");

    //  money text: two fractional digits at least, exact beyond
    char text [48];
    assert (crmq_money_text (12, 500000000, text, sizeof text) == 5 && streq (text, "12.50"));
    assert (crmq_money_text (12, 0, text, sizeof text) == 5 && streq (text, "12.00"));
    assert (crmq_money_text (0, 0, text, sizeof text) == 4 && streq (text, "0.00"));
    assert (crmq_money_text (0, -50000000, text, sizeof text) == 5 && streq (text, "-0.05"));
    assert (crmq_money_text (0, 5000000, text, sizeof text) == 5 && streq (text, "0.005"));
    assert (crmq_money_text (-7, -1, text, sizeof text) == 12 && streq (text, "-7.000000001"));
    assert (crmq_money_text (INT64_MAX, 999999999, text, sizeof text) > 0
            && streq (text, "9223372036854775807.999999999"));
    assert (crmq_money_text (1, -1, text, sizeof text) == -1);
    assert (crmq_money_text (0, 1000000000, text, sizeof text) == -1);
    assert (crmq_money_text (12, 0, text, 5) == -1);        //  "12.00" needs 6

    //  every kind of field
    Crmq__SelfTestInner inner = CRMQ__SELF_TEST_INNER__INIT;
    inner.name = "внутри";
    int32_t numbers [] = { 1, -2, 2147483647 };
    inner.numbers = numbers;
    inner.n_numbers = 3;
    Crmq__SelfTestInner second = CRMQ__SELF_TEST_INNER__INIT;
    Crmq__SelfTestInner *inners [] = { &inner, &second };
    Crmq__Money price_money = CRMQ__MONEY__INIT;
    price_money.currency = "EUR";
    price_money.units = 3;
    price_money.nanos = 990000000;
    Crmq__SelfTestEvent__CountsEntry count_a = CRMQ__SELF_TEST_EVENT__COUNTS_ENTRY__INIT;
    count_a.key = "ёж \"a\"";
    count_a.value = INT64_MIN;
    Crmq__SelfTestEvent__CountsEntry count_b = CRMQ__SELF_TEST_EVENT__COUNTS_ENTRY__INIT;
    count_b.key = "b";
    count_b.value = 9007199254740993;       //  2^53 + 1: a double would lose it
    Crmq__SelfTestEvent__CountsEntry *counts [] = { &count_a, &count_b };
    Crmq__SelfTestEvent__PricesEntry price = CRMQ__SELF_TEST_EVENT__PRICES_ENTRY__INIT;
    price.key = -7;
    price.value = &price_money;
    Crmq__SelfTestEvent__PricesEntry *prices [] = { &price };
    Crmq__SelfTestEvent__FlagsEntry flag = CRMQ__SELF_TEST_EVENT__FLAGS_ENTRY__INIT;
    flag.key = true;
    flag.value = "yes";
    Crmq__SelfTestEvent__FlagsEntry *flags [] = { &flag };
    Crmq__Money money = CRMQ__MONEY__INIT;
    money.currency = "USD";
    money.units = 12;
    money.nanos = 500000000;
    Crmq__Decimal quantity = CRMQ__DECIMAL__INIT;
    quantity.units = -3;
    quantity.nanos = -250000000;
    Crmq__Money payment = CRMQ__MONEY__INIT;
    payment.currency = "RUB";
    payment.units = 1000000;
    Crmq__Money *payments [] = { &payment, &money };
    char *tags [] = { "vip", "опт", "" };
    Crmq__SelfTestColour colours [] = { CRMQ__SELF_TEST_COLOUR__SELF_TEST_COLOUR_GREEN, 42 };
    uint8_t raw [] = { 0x00, 0xff, 0x10 };
    ProtobufCBinaryData blobs [] = { { 3, raw }, { 0, NULL }, { 1, raw + 1 } };

    Crmq__SelfTestEvent event = CRMQ__SELF_TEST_EVENT__INIT;
    event.f_double = -1.5;
    event.f_float = 0.25f;
    event.f_int32 = INT32_MIN;
    event.f_int64 = INT64_MAX;
    event.f_uint32 = UINT32_MAX;
    event.f_uint64 = UINT64_MAX;
    event.f_sint32 = -5;
    event.f_sint64 = INT64_MIN;
    event.f_fixed32 = 7;
    event.f_fixed64 = 8;
    event.f_sfixed32 = -9;
    event.f_sfixed64 = -10;
    event.f_bool = true;
    event.f_string = "ООО \"Ромашка\"\t\\ 🚀";
    event.f_bytes.data = (uint8_t *) "hello";
    event.f_bytes.len = 5;
    event.colour = CRMQ__SELF_TEST_COLOUR__SELF_TEST_COLOUR_RED;
    event.inner = &inner;
    event.tags = tags;
    event.n_tags = 3;
    event.inners = inners;
    event.n_inners = 2;
    event.colours = colours;
    event.n_colours = 2;
    event.blobs = blobs;
    event.n_blobs = 3;
    event.counts = counts;
    event.n_counts = 2;
    event.prices = prices;
    event.n_prices = 1;
    event.flags = flags;
    event.n_flags = 1;
    event.money = &money;
    event.quantity = &quantity;
    event.payments = payments;
    event.n_payments = 2;
    event.choice_case = CRMQ__SELF_TEST_EVENT__CHOICE_CHOICE_NUMBER;
    event.choice_number = -1;
    s_test_expect (&event.base,
        "{\"f_double\":-1.5,\"f_float\":0.25,\"f_int32\":-2147483648,"
        "\"f_int64\":9223372036854775807,\"f_uint32\":4294967295,"
        "\"f_uint64\":\"18446744073709551615\",\"f_sint32\":-5,"
        "\"f_sint64\":-9223372036854775808,\"f_fixed32\":7,\"f_fixed64\":8,"
        "\"f_sfixed32\":-9,\"f_sfixed64\":-10,\"f_bool\":true,"
        "\"f_string\":\"ООО \\\"Ромашка\\\"\\t\\\\ 🚀\",\"f_bytes\":\"aGVsbG8=\","
        "\"colour\":\"SELF_TEST_COLOUR_RED\","
        "\"inner\":{\"name\":\"внутри\",\"numbers\":[1,-2,2147483647]},"
        "\"tags\":[\"vip\",\"опт\",\"\"],"
        "\"inners\":[{\"name\":\"внутри\",\"numbers\":[1,-2,2147483647]},"
        "{\"name\":\"\",\"numbers\":[]}],"
        "\"colours\":[\"SELF_TEST_COLOUR_GREEN\",42],"
        "\"blobs\":[\"AP8Q\",\"\",\"/w==\"],"
        "\"counts\":{\"ёж \\\"a\\\"\":-9223372036854775808,\"b\":9007199254740993},"
        "\"prices\":{\"-7\":{\"currency\":\"EUR\",\"amount\":\"3.99\"}},"
        "\"flags\":{\"true\":\"yes\"},"
        "\"money\":{\"currency\":\"USD\",\"amount\":\"12.50\"},"
        "\"quantity\":\"-3.25\","
        "\"payments\":[{\"currency\":\"RUB\",\"amount\":\"1000000.00\"},"
        "{\"currency\":\"USD\",\"amount\":\"12.50\"}],"
        "\"choice_number\":-1}", verbose);

    //  proto3 defaults are all there; an unset message is null, an unset
    //  oneof absent
    Crmq__SelfTestEvent empty = CRMQ__SELF_TEST_EVENT__INIT;
    s_test_expect (&empty.base,
        "{\"f_double\":0.0,\"f_float\":0.0,\"f_int32\":0,\"f_int64\":0,\"f_uint32\":0,"
        "\"f_uint64\":0,\"f_sint32\":0,\"f_sint64\":0,\"f_fixed32\":0,\"f_fixed64\":0,"
        "\"f_sfixed32\":0,\"f_sfixed64\":0,\"f_bool\":false,\"f_string\":\"\","
        "\"f_bytes\":\"\",\"colour\":\"SELF_TEST_COLOUR_NONE\",\"inner\":null,"
        "\"tags\":[],\"inners\":[],\"colours\":[],\"blobs\":[],\"counts\":{},"
        "\"prices\":{},\"flags\":{},\"money\":null,\"quantity\":null,\"payments\":[]}",
        verbose);

    //  values JSON has no number for; the other member of the oneof
    empty.f_double = NAN;
    empty.f_float = -INFINITY;
    empty.choice_case = CRMQ__SELF_TEST_EVENT__CHOICE_CHOICE_TEXT;
    empty.choice_text = "да";
    char error [256];
    char *converted = s_test_convert (&empty.base, error, sizeof error);
    assert (converted);
    assert (strstr (converted, "{\"f_double\":\"NaN\",\"f_float\":\"-Infinity\","));
    assert (strstr (converted, ",\"choice_text\":\"да\"}"));
    assert (!strstr (converted, "choice_number"));
    free (converted);

    //  a malformed amount is an error naming its field
    Crmq__SelfTestEvent bad = CRMQ__SELF_TEST_EVENT__INIT;
    Crmq__Money bad_money = CRMQ__MONEY__INIT;
    bad_money.units = 1;
    bad_money.nanos = -1;
    bad.money = &bad_money;
    assert (s_test_convert (&bad.base, error, sizeof error) == NULL);
    if (verbose)
        printf ("   %s\n", error);
    assert (streq (error, "crmq.SelfTestEvent.money: crmq.Money: units and nanos do not make an amount"));
    bad.money = NULL;
    Crmq__Decimal bad_quantity = CRMQ__DECIMAL__INIT;
    bad_quantity.nanos = 1000000000;
    bad.payments = NULL;
    bad.quantity = &bad_quantity;
    assert (s_test_convert (&bad.base, error, sizeof error) == NULL);
    assert (strstr (error, "crmq.SelfTestEvent.quantity: "));

    //  a string that is not UTF-8, at depth
    Crmq__SelfTestInner bad_inner = CRMQ__SELF_TEST_INNER__INIT;
    bad_inner.name = "\xd0\x28";
    bad.quantity = NULL;
    bad.inner = &bad_inner;
    assert (s_test_convert (&bad.base, error, sizeof error) == NULL);
    if (verbose)
        printf ("   %s\n", error);
    assert (streq (error, "crmq.SelfTestInner.name: the text is not UTF-8"));

    //  bodies that are not the message
    const uint8_t garbage [] = { 0x0a, 0x05, 'a' };             //  a string cut short
    assert (!crmq_event_json (&crmq__self_test_event__descriptor, garbage, 3,
                              error, sizeof error));
    assert (streq (error, "3 bytes are not a crmq.SelfTestEvent"
                          " (bad encoding, or a string with a NUL byte)"));
    const uint8_t with_nul [] = { 0x72, 0x03, 'a', 0, 'b' };    //  f_string "a\0b"
    assert (!crmq_event_json (&crmq__self_test_event__descriptor, with_nul, 5, NULL, 0));
    //  an empty body is the message with every default
    json_t *json = crmq_event_json (&crmq__self_test_event__descriptor, garbage, 0, NULL, 0);
    assert (json && json_integer_value (json_object_get (json, "f_int64")) == 0);
    json_decref (json);

    //  real events, through the topic registry
    Crmq__Alert alert = CRMQ__ALERT__INIT;
    alert.kind = "payment.late";
    alert.severity = "warning";
    alert.client_id = 42;
    alert.client_name = "ООО \"Ромашка\"";
    Crmq__Alert__DetailsEntry days = CRMQ__ALERT__DETAILS_ENTRY__INIT;
    days.key = "days_late";
    days.value = "12";
    Crmq__Alert__DetailsEntry *details [] = { &days };
    alert.details = details;
    alert.n_details = 1;
    size_t size = protobuf_c_message_get_packed_size (&alert.base);
    uint8_t *packed = (uint8_t *) malloc (size);
    assert (packed);
    protobuf_c_message_pack (&alert.base, packed);
    json = crmq_event_json (crmq_topic_descriptor ("alert.payment.late"), packed, size,
                            error, sizeof error);
    free (packed);
    assert (json);
    assert (streq (json_string_value (json_object_get (json, "client_name")),
                   "ООО \"Ромашка\""));
    assert (json_integer_value (json_object_get (json, "client_id")) == 42);
    assert (streq (json_string_value (json_object_get (json_object_get (json, "details"),
                                                       "days_late")), "12"));
    json_decref (json);

    //  a message given directly: Money at the top
    json = crmq_message_json (&money.base, error, sizeof error);
    assert (json && streq (json_string_value (json_object_get (json, "amount")), "12.50"));
    json_decref (json);
    printf ("OK\n");
}
