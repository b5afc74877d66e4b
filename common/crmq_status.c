/*  crmq_status.c - names of the reply status codes.  */
#include "crmq.h"

//  gRPC names, indexed by code; NULL where crmq does not use the code.
static const char *s_names [] = {
    [CRMQ_OK]                  = "OK",
    [1]                        = "CANCELLED",
    [2]                        = "UNKNOWN",
    [CRMQ_INVALID_ARGUMENT]    = "INVALID_ARGUMENT",
    [CRMQ_DEADLINE_EXCEEDED]   = "DEADLINE_EXCEEDED",
    [CRMQ_NOT_FOUND]           = "NOT_FOUND",
    [CRMQ_ALREADY_EXISTS]      = "ALREADY_EXISTS",
    [CRMQ_PERMISSION_DENIED]   = "PERMISSION_DENIED",
    [CRMQ_RESOURCE_EXHAUSTED]  = "RESOURCE_EXHAUSTED",
    [CRMQ_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
    [10]                       = "ABORTED",
    [11]                       = "OUT_OF_RANGE",
    [CRMQ_UNIMPLEMENTED]       = "UNIMPLEMENTED",
    [CRMQ_INTERNAL]            = "INTERNAL",
    [CRMQ_UNAVAILABLE]         = "UNAVAILABLE",
    [15]                       = "DATA_LOSS",
    [CRMQ_UNAUTHENTICATED]     = "UNAUTHENTICATED"
};

const char *
crmq_status_name (int code)
{
    if (code >= 0 && code < (int) (sizeof s_names / sizeof s_names [0]) && s_names [code])
        return s_names [code];
    return "UNKNOWN";
}
