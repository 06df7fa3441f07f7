"""Units of the result variables for pint: the two that are not SI, defined.

Every variable's ``units`` attribute parses with :func:`unit_registry`: SI and derived units as
pint (and UDUNITS) spell them (``N m / kg``, ``mm^2``, ``MPa``), plus

* ``BW``: one body weight, the subject's (``attrs['body_weight_n']`` of a result, in N); given
  a result or a weight the registry converts BW to newtons, otherwise BW is its own dimension;
* ``clock_hour``: a position on the acetabular clock face (12 superior, 3 anterior), its own
  dimension so that it never converts to a time.

Example::

    ureg = hipsim.units.unit_registry(ds)
    peak = ds.hip_contact_force_resultant.max().item() * ureg(ds.hip_contact_force_resultant.units)
    peak.to("N")
"""


def unit_definitions(body_weight_n=None):
    """pint definition lines of hipsim's own units (BW in newtons when ``body_weight_n`` is
    given, else a base dimension of its own)."""
    bw = f"BW = {float(body_weight_n)!r} * newton" if body_weight_n else "BW = [body_weight]"
    return [bw, "clock_hour = [clock_position]"]


def unit_registry(result=None, body_weight_n=None):
    """A ``pint.UnitRegistry`` that parses every result variable's units.

    Parameters
    ----------
    result : xarray.Dataset, optional
        A hipsim result; its ``body_weight_n`` attribute sets 1 BW.
    body_weight_n : float, optional
        1 BW in newtons (instead of a result).

    Returns
    -------
    pint.UnitRegistry
    """
    try:
        import pint
    except ImportError:
        raise ImportError("hipsim.units needs pint: pip install pint") from None
    if result is not None and body_weight_n is None:
        body_weight_n = result.attrs.get("body_weight_n")
    registry = pint.UnitRegistry()
    for line in unit_definitions(body_weight_n):
        registry.define(line)
    return registry
