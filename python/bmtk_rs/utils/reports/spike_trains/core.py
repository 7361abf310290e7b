"""Names shared by the spike-train API: sort orders, column names, the unnamed population."""

from enum import Enum


class SortOrder(Enum):
    """How spikes are ordered in a file (the SONATA ``sorting`` attribute)."""

    none = "none"
    by_id = "by_id"
    by_time = "by_time"
    unknown = "unknown"


# The spellings BMTK accepts for each order.
sort_order_lu = {
    "by_time": SortOrder.by_time,
    "time": SortOrder.by_time,
    "by_id": SortOrder.by_id,
    "id": SortOrder.by_id,
    "node_id": SortOrder.by_id,
    "gid": SortOrder.by_id,
    "none": SortOrder.none,
    "na": SortOrder.none,
}

col_timestamps = "timestamps"
col_node_ids = "node_ids"
col_population = "population"
csv_headers = [col_timestamps, col_population, col_node_ids]

# Population name of spikes stored without one (old SONATA layout, NWB, CSV without the column).
pop_na = "<sonata:none>"


def as_sort_order(value):
    """A SortOrder from an enum member, one of BMTK's spellings, or None (meaning none)."""
    if value is None:
        return SortOrder.none
    if isinstance(value, SortOrder):
        return value
    if isinstance(value, str):
        key = value.lower()
        if key in sort_order_lu:
            return sort_order_lu[key]
        if key == "unknown":
            return SortOrder.unknown
    raise ValueError(
        f"unknown sort order {value!r}: expected one of {sorted(sort_order_lu)} or a SortOrder"
    )


def find_file_type(path):
    """The spike-file kind ('h5', 'nwb' or 'csv') from a file name, '' when unknown."""
    if path is None:
        return ""
    p = str(path).lower()
    if p.endswith((".hdf5", ".hdf", ".h5", ".sonata")):
        return "h5"
    if p.endswith(".nwb"):
        return "nwb"
    if p.endswith((".csv", ".txt")):
        return "csv"
    return ""


def units_conversion(units):
    """Multiplier from seconds to ``units`` ('ms' or 's' and their long spellings)."""
    u = str(units).lower()
    if u in ("ms", "millisecond", "milliseconds"):
        return "ms", 1000.0
    if u in ("s", "second", "seconds"):
        return "s", 1.0
    raise ValueError(f"Unknown output_units value {units!r}: expected 'ms' or 's'")
