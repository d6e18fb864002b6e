"""Services hold the rules; routers only translate HTTP to these calls."""
