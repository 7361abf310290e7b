"""The extracellular report in NWB: bmtk 1.2.0's ``file_name_nwb`` option of the ``extracellular``
report, which copies the finished ecp.h5 into an NWB 2 file through pynwb.

The file bmtk makes holds one device ("ecp electrode matrix"), one electrode group ("array 1"),
one electrodes-table row per channel of ecp.h5 (with a ``channel_id`` column and the x/y/z of the
electrode positions file), and the potentials as an ElectricalSeries named "ElectricalSeries" in
the acquisition group, wrapped again in an LFP container of a processing module "ecephys".
Its quirks are kept so that readers of bmtk's files read ours alike:

- ``rate`` is (tstop - tstart) / dt, the number of steps, not samples per second;
- electrode rows are addressed by channel id, so channel ids index the electrodes table;
- an existing NWB file at the path is opened and extended, not replaced.
"""

import os
from datetime import datetime
from uuid import uuid4

import numpy as np
import pandas as pd


def _pynwb():
    try:
        import pynwb
        import pynwb.ecephys  # noqa: F401  (the submodule is not imported by the package)
    except ImportError:
        raise ImportError("the extracellular report's 'file_name_nwb' needs the pynwb package "
                          "(pip install pynwb)") from None
    return pynwb


def nwb_available():
    """Whether pynwb can be imported (bmtk checks it when the report is set up)."""
    try:
        _pynwb()
    except ImportError:
        return False
    return True


def read_ecp_h5(path):
    """(data [steps x channels], [tstart, tstop, dt], channel ids) of a BMTK ecp.h5."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            missing = [k for k in ("ecp/data", "ecp/time", "ecp/channel_id") if k not in f]
            if missing:
                raise ValueError(f"{path}: not an ecp report (missing {', '.join(missing)})")
            return f["ecp/data"][()], f["ecp/time"][()], f["ecp/channel_id"][()]
    except OSError as e:
        raise OSError(f"{path}: cannot read the ecp report: {e}") from None


def _electrodes(path, channels):
    try:
        table = pd.read_csv(path, sep=" ")
    except (OSError, pd.errors.ParserError) as e:
        raise OSError(f"{path}: cannot read the electrode positions: {e}") from None
    if "channel" not in table.columns:
        raise ValueError(f"{path}: the electrode positions file has no 'channel' column")
    table = table.set_index("channel")
    absent = [int(c) for c in channels if c not in table.index]
    if absent:
        raise ValueError(f"{path}: channel(s) {absent[:10]} of the ecp report are not in the electrode file")
    return table


def _value(row, col, default):
    # bmtk writes the string default when the electrode file lacks the column
    return row[col] if col in row.index else default


def write_ecp_nwb(nwb_path, data, time, channel_ids, electrodes_file):
    """Writes ECP arrays to ``nwb_path`` as bmtk 1.2.0 does.

    data: (steps x channels) potentials (mV); time: [tstart, tstop, dt] (ms) as in ecp.h5;
    channel_ids: one id per data column; electrodes_file: the report's ``electrode_positions``
    (space-separated, with columns channel, x_pos, y_pos, z_pos and optionally location).
    """
    pynwb = _pynwb()
    data = np.asarray(data)
    time = np.asarray(time, dtype=float)
    channel_ids = np.asarray(channel_ids)
    if data.ndim != 2 or data.shape[1] != len(channel_ids):
        raise ValueError(f"{nwb_path}: ecp data of shape {data.shape} does not match {len(channel_ids)} channels")
    if time.shape != (3,) or time[2] == 0:
        raise ValueError(f"{nwb_path}: ecp time must be [tstart, tstop, dt] with dt != 0, got {time.tolist()}")
    table = _electrodes(electrodes_file, channel_ids)
    d = os.path.dirname(os.fspath(nwb_path))
    if d:
        os.makedirs(d, exist_ok=True)

    if os.path.exists(nwb_path):
        io = pynwb.NWBHDF5IO(nwb_path, "a")
        nwbfile = io.read()
    else:
        io = pynwb.NWBHDF5IO(nwb_path, "w")
        nwbfile = pynwb.NWBFile(session_description="test time", identifier=str(uuid4()),
                                session_start_time=datetime.now().astimezone())
    try:
        device = nwbfile.create_device(name="ecp electrode matrix")
        group = nwbfile.create_electrode_group(name="array 1", device=device, location="Brain",
                                               description="desc")
        nwbfile.add_electrode_column(name="channel_id", description="label of electrode")
        for chan in channel_ids:
            row = table.loc[chan]
            nwbfile.add_electrode(group=group, channel_id=chan, location=_value(row, "location", "None"),
                                  x=_value(row, "x_pos", "Not Avail"), y=_value(row, "y_pos", "Not Avail"),
                                  z=_value(row, "z_pos", "Not Avail"))
        region = nwbfile.create_electrode_table_region(region=[int(c) for c in channel_ids],
                                                       description="all electrodes")
        series = pynwb.ecephys.ElectricalSeries(name="ElectricalSeries", description="LFP data", data=data,
                                                electrodes=region, starting_time=float(time[0]),
                                                rate=float((time[1] - time[0]) / time[2]))
        nwbfile.add_acquisition(series)
        module = nwbfile.create_processing_module(name="ecephys",
                                                  description="processed extracellular electrophysiology data")
        module.add(pynwb.ecephys.LFP(series))
        io.write(nwbfile)
    finally:
        io.close()


def convert_ecp_to_nwb(nwb_path, ecp_file, electrodes_file):
    """Copies a finished ecp.h5 into ``nwb_path`` (what bmtk does after the run on rank 0)."""
    data, time, channel_ids = read_ecp_h5(ecp_file)
    write_ecp_nwb(nwb_path, data, time, channel_ids, electrodes_file)
