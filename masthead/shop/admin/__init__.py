"""The shop in Wagtail's admin: the catalogue (catalogue), orders and their actions (orders)
and the fulfilment queue with packing slips (fulfilment). ``wagtail_hooks`` registers them
under one "Shop" menu."""
