/*  crmq_status.h - reply status codes (gRPC numbering, as on the wire).  */
#ifndef CRMQ_STATUS_H_INCLUDED
#define CRMQ_STATUS_H_INCLUDED

typedef enum {
    CRMQ_OK                  = 0,
    CRMQ_INVALID_ARGUMENT    = 3,
    CRMQ_DEADLINE_EXCEEDED   = 4,
    CRMQ_NOT_FOUND           = 5,
    CRMQ_ALREADY_EXISTS      = 6,
    CRMQ_PERMISSION_DENIED   = 7,
    CRMQ_RESOURCE_EXHAUSTED  = 8,
    CRMQ_FAILED_PRECONDITION = 9,
    CRMQ_UNIMPLEMENTED       = 12,
    CRMQ_INTERNAL            = 13,
    CRMQ_UNAVAILABLE         = 14,
    CRMQ_UNAUTHENTICATED     = 16
} crmq_status_t;

//  Upper-case gRPC name of a code ("INVALID_ARGUMENT"); "UNKNOWN" for others.
//  Returns a static string.
const char *crmq_status_name (int code);

#endif
