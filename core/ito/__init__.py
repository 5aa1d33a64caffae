"""The ito workspace (`.ito/`): ids, tasks.md, listing, modules, specs, sync, archive, audit."""

from core.ito.audit import parse_events_bytes
from core.ito.ids import (
    ChangeId,
    archive_folder_name,
    humanize,
    is_change_id,
    module_id_of,
    parse_archive_folder,
    parse_change_id,
    parse_module_folder,
    require_safe_component,
)
from core.ito.modules import parse_module_md, parse_module_md_bytes
from core.ito.summary import summarize_change_dir
from core.ito.tasks import (
    ParsedTasks,
    compute_progress,
    parse_tasks,
    parse_tasks_bytes,
    work_status,
)
from core.ito.workspace import ItoWorkspace

__all__ = [
    "ChangeId",
    "ItoWorkspace",
    "ParsedTasks",
    "archive_folder_name",
    "compute_progress",
    "humanize",
    "is_change_id",
    "module_id_of",
    "parse_archive_folder",
    "parse_change_id",
    "parse_events_bytes",
    "parse_module_folder",
    "parse_module_md",
    "parse_module_md_bytes",
    "parse_tasks",
    "parse_tasks_bytes",
    "require_safe_component",
    "summarize_change_dir",
    "work_status",
]
