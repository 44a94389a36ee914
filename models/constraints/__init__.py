"""One module per constraint family; each ``add_*`` states its inequality in its docstring
and adds nothing when its subset is empty."""

from optimizer.models.constraints.apis import add_api_limits
from optimizer.models.constraints.carbon import add_carbon_cap
from optimizer.models.constraints.cloud import add_cloud_limits
from optimizer.models.constraints.demand import add_demand
from optimizer.models.constraints.edge import add_edge_capacity
from optimizer.models.constraints.racks import add_rack_capacity
from optimizer.models.constraints.readiness import add_share_ready
from optimizer.models.constraints.sites import add_site_limits
from optimizer.models.constraints.stability import add_stability, remove_stability

__all__ = [
    "add_api_limits",
    "add_carbon_cap",
    "add_cloud_limits",
    "add_demand",
    "add_edge_capacity",
    "add_rack_capacity",
    "add_share_ready",
    "add_site_limits",
    "add_stability",
    "remove_stability",
]
