from django.http import FileResponse, HttpRequest
from django.views.decorators.cache import never_cache

from perisco.families.selectors import access_document
from perisco.inbox.selectors import access_attachment
from perisco.web.access import public


@public
@never_cache
def document_download(request: HttpRequest, uuid) -> FileResponse:
    """Files are served here only, to who may see them (`access_document`), never from a
    public address."""
    document = access_document(request.user, request.organisation, uuid)
    extension = document.file.name.rsplit(".", 1)[-1]
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type,
        as_attachment=not document.is_image and request.GET.get("inline") != "1",
        filename=f"{document.title}.{extension}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@public
@never_cache
def attachment_download(request: HttpRequest, uuid) -> FileResponse:
    """A message's file, to the thread's family and to staff who answer messages."""
    attachment = access_attachment(request.user, uuid)
    response = FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.name,
    )
    response["Cache-Control"] = "private, no-store"
    return response
