"""The public OCDS API (no login): a tender's release package, and the change feed of every
release since a cursor, which integrators poll (as Prozorro's brokers poll its feed)."""

from django.http import Http404
from django.urls import path, re_path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from portal.api import error_responses
from portal.public_cache import public_page
from tenders import ocds

TAGS = ["ocds"]

_errors = error_responses(
    not_found="No such tender, or it is not published.",
    conflict="",
)


def _package_schema(name: str, *, links: bool = False):
    fields = {
        "uri": serializers.URLField(),
        "version": serializers.CharField(help_text='"1.1"'),
        "publishedDate": serializers.DateTimeField(),
        "publisher": serializers.DictField(child=serializers.JSONField()),
        "license": serializers.URLField(),
        "publicationPolicy": serializers.URLField(),
        "releases": serializers.ListField(
            child=serializers.DictField(child=serializers.JSONField()),
            help_text="OCDS 1.1 releases, oldest first.",
        ),
    }
    if links:
        fields["links"] = inline_serializer(
            name="OcdsFeedLinks",
            fields={
                "next": serializers.URLField(
                    help_text="The next page: poll it for releases recorded after this page's "
                    "last one (the same cursor again when this page was empty)."
                )
            },
        )
    return inline_serializer(name=name, fields=fields)


MAX_ID = 2**63 - 1  # OcdsRelease's BigAutoField: a larger cursor is a 400, not a crash


class FeedQuery(serializers.Serializer):
    cursor = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_ID,
        default=0,
        help_text="Releases recorded after this point: the `cursor` of the previous page's "
        "`links.next`; 0 or none for the first page.",
    )

    def validate(self, attrs: dict) -> dict:
        # `?cursor=` is a mistake, not "from the start" (as portal.api.FilterSet has it).
        if self.initial_data.get("cursor") == "":
            raise serializers.ValidationError(
                {"cursor": [_("Give a value, or leave the parameter out.")]}
            )
        return attrs


@public_page("tenders.ocdsrelease", query=("cursor",))
@extend_schema(
    parameters=[FeedQuery],
    responses={
        200: _package_schema("OcdsReleaseFeed", links=True),
        **_errors(400),
    },
    tags=TAGS,
    auth=[],
    operation_id="ocds_releases_feed",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def release_feed(request: Request) -> Response:
    """Every OCDS release of every tender, oldest first, 10 a page, as a release package with
    a `links.next` URL. Follow `next` to get each release exactly once: a release recorded while
    you page is on a later page, never on one you already read."""
    query = FeedQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    cursor = query.validated_data["cursor"]
    rows = ocds.releases_after(cursor=cursor)
    last = rows[-1].pk if rows else cursor
    package = ocds.package_build(
        releases=[row.data for row in rows], uri=request.build_absolute_uri()
    )
    package["links"] = {
        "next": request.build_absolute_uri(reverse("api:ocds-release-feed")) + f"?cursor={last}"
    }
    return Response(package)


@public_page("tenders.ocdsrelease", "tenders.tender")
@extend_schema(
    parameters=[
        OpenApiParameter(
            "reference",
            OpenApiTypes.STR,
            OpenApiParameter.PATH,
            pattern=f"^{ocds.REFERENCE_PATTERN}$",
            description="The tender's reference, e.g. TND-2026-0001.",
        )
    ],
    responses={
        200: _package_schema("OcdsReleasePackage"),
        **_errors(404),
    },
    tags=TAGS,
    auth=[],
    operation_id="ocds_tender_package",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def tender_package(request: Request, reference: str) -> Response:
    """A published tender's OCDS release package: every release recorded for it, oldest first
    (the same as /tenders/<reference>/ocds.json)."""
    tender = ocds.tenders_public().filter(reference=reference).first()
    if tender is None:
        raise Http404
    return Response(ocds.tender_package(tender=tender, uri=request.build_absolute_uri()))


urlpatterns = [
    path("ocds/releases/", release_feed, name="ocds-release-feed"),
    re_path(
        rf"^tenders/(?P<reference>{ocds.REFERENCE_PATTERN})/ocds/$",
        tender_package,
        name="tender-ocds",
    ),
]
